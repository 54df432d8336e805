//! `GET /upload`: signed upload URLs, single or resumable.

use super::*;

/// `GET /upload?name=..&resumable=..`.
pub(crate) async fn upload_url(State(inner): State<Arc<Inner>>, uri: Uri) -> Response {
    let query = query_map(&uri);
    let Some(name) = query
        .get("name")
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    else {
        return bad_request("query parameter `name` (file name with extension) is required");
    };
    let resumable = match flag(
        query.get("resumable").map(String::as_str),
        "resumable",
        true,
    ) {
        Ok(resumable) => resumable,
        Err(e) => return e.into_response(),
    };
    let key = format!(
        "uploads/{}/{}",
        uuid::Uuid::new_v4().simple(),
        safe_name(name)
    );
    inner.store.issue_object(&key, name, now_ms());
    Json(UploadUrlResponse {
        url: inner.upload_target(&key, resumable),
    })
    .into_response()
}
