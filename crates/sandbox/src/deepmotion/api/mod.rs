//! Handlers of the documented endpoints.
//!
//! Bodies of `POST` calls are read as JSON objects, or as form fields when
//! the request says `application/x-www-form-urlencoded` (a repeated field,
//! or one named `x[]`, is a list; `events` may also be comma-separated).
//! Unknown query parameters and body fields are ignored.
//!
//! One module per resource: `session`, `storage`, `processing` (jobs),
//! `characters` and `webhook_endpoints`; the helpers they share live here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use motionkit_models::deepmotion::{
    CharacterModel, CreditBalanceResponse, DeleteModelResponse, DeletedWebhookEndpoint,
    DownloadItem, DownloadLink, DownloadResponse, JobListEntry, JobStatus, JobStatusEntry,
    ListResponse, ModelUploadUrlResponse, PROCESSOR_VIDEO2ANIM, ProcessResponse, SESSION_COOKIE,
    StatusDetails, StatusResponse, StoreModelResponse, UploadUrlResponse, VideoInfoResponse,
    WEBHOOK_EVENTS, WebhookEndpoint, WebhookEndpointList,
};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::jobs::{self, ModelKind, Phase};
use super::media::{self, Probe};
use super::outputs;
use super::signing::{decode_component, parse_pairs};
use super::store::{Job, Model, Object, Webhook};
use super::{Inner, now_ms, webhooks};

/// Lifetime of an upload URL, in seconds.
const UPLOAD_URL_TTL_SECS: u64 = 24 * 3600;
/// Lifetime of a download link, in seconds.
const DOWNLOAD_URL_TTL_SECS: u64 = 3600;
/// `exc_type` of failed jobs.
pub(super) const FAILURE_TYPE: &str = "ProcessingError";
/// The rig every model is associated with.
pub(super) const RIG_ID: &str = "deepmotion-humanoid";
/// Stock models: id and name.
pub(super) const STOCK_MODELS: &[(&str, &str)] = &[
    ("dm-stock-male-01", "Sandbox Stock Male"),
    ("dm-stock-female-01", "Sandbox Stock Female"),
    ("dm-stock-robot-01", "Sandbox Stock Robot"),
];
const STOCK_TIME_MS: u64 = 1_577_836_800_000;

/// A JSON error answer: `{"error": message}`.
pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

/// A refused request, as the error side of helpers' results (small, unlike
/// a `Response`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ApiError {
    status: StatusCode,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.status, self.message)
    }
}

fn fail(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        message: message.into(),
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    fail(StatusCode::BAD_REQUEST, message)
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore as _;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    super::signing::hex(&buf)
}

/// A name safe inside an object key: the last path component, with
/// anything but letters, digits, `.`, `-` and `_` replaced by `_`.
pub(super) fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let cleaned = cleaned.trim_matches('.').to_owned();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// The object key a storage URL points at (any host, query ignored).
fn key_from_url(url: &str) -> Option<String> {
    let url = url.trim();
    let path = if url.starts_with('/') {
        url
    } else {
        let rest = url.split_once("://")?.1;
        &rest[rest.find('/')?..]
    };
    let path = path.split(['?', '#']).next()?;
    let key = path.strip_prefix("/storage/")?;
    let decoded: Vec<String> = key
        .split('/')
        .map(|segment| decode_component(segment, false))
        .collect();
    Some(decoded.join("/"))
}

fn query_map(uri: &Uri) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (key, value) in parse_pairs(uri.query().unwrap_or("")) {
        map.entry(key).or_insert(value);
    }
    map
}

fn flag(value: Option<&str>, name: &str, default: bool) -> Result<bool, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some("1" | "true") => Ok(true),
        Some("0" | "false") => Ok(false),
        Some(other) => Err(bad(format!("`{name}` must be 0 or 1, not {other:?}"))),
    }
}

/// The request body as a JSON object (JSON, or form fields).
fn body_object(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if form {
        let text = String::from_utf8_lossy(body);
        let mut map = Map::new();
        for (key, value) in parse_pairs(&text) {
            let (key, list) = match key.strip_suffix("[]") {
                Some(stripped) => (stripped.to_owned(), true),
                None => (key, false),
            };
            match map.get_mut(&key) {
                Some(Value::Array(items)) => items.push(Value::String(value)),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, Value::String(value)]);
                }
                None if list => {
                    map.insert(key, Value::Array(vec![Value::String(value)]));
                }
                None => {
                    map.insert(key, Value::String(value));
                }
            }
        }
        return Ok(map);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("the body must be a JSON object")),
        Err(e) => Err(bad(format!("the body is not valid JSON: {e}"))),
    }
}

fn field_str(map: &Map<String, Value>, name: &str) -> Option<String> {
    match map.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn field_flag(map: &Map<String, Value>, name: &str) -> Result<bool, ApiError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(false),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(true),
        Some(Value::String(s)) => flag(Some(s), name, false),
        Some(other) => Err(bad(format!("`{name}` must be 0 or 1, not {other}"))),
    }
}

/// A list field: a JSON array, or a single string (split on commas when
/// `split` is set).
fn field_list(map: &Map<String, Value>, name: &str, split: bool) -> Option<Vec<String>> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match map.get(name)? {
        Value::Array(items) => Some(items.iter().map(text).collect()),
        Value::String(s) if split => Some(
            s.split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        ),
        Value::String(s) => Some(vec![s.clone()]),
        Value::Null => None,
        other => Some(vec![text(other)]),
    }
}

fn secs() -> u64 {
    now_ms() / 1000
}

impl Inner {
    fn download_url(&self, key: &str) -> String {
        self.signer
            .url(&self.base_url, "GET", key, secs() + DOWNLOAD_URL_TTL_SECS)
    }

    fn upload_target(&self, key: &str, resumable: bool) -> String {
        let method = if resumable { "POST" } else { "PUT" };
        self.signer
            .url(&self.base_url, method, key, secs() + UPLOAD_URL_TTL_SECS)
    }

    /// Writes `bytes` as the complete object `key`.
    fn put_object(&self, key: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let file = self.store.new_file();
        std::fs::write(self.store.path(&file), bytes)?;
        if let Some(old) =
            self.store
                .complete_object(key, name, &file, bytes.len() as u64, None, now_ms())
        {
            let _ = std::fs::remove_file(self.store.path(&old));
        }
        Ok(())
    }

    fn model_kind(&self, id: &str) -> ModelKind {
        if STOCK_MODELS.iter().any(|(stock, _)| *stock == id) {
            ModelKind::Stock
        } else if self.store.models().iter().any(|m| m.id == id) {
            ModelKind::Custom
        } else {
            ModelKind::Missing
        }
    }

    /// The uploaded object a URL from `GET /upload` (or getModelUploadUrl,
    /// with `prefix` `models/`) points at.
    fn uploaded(&self, url: &str, prefix: &str) -> Option<Object> {
        key_from_url(url)
            .filter(|key| key.starts_with(prefix))
            .and_then(|key| self.store.object(&key))
    }
}

/// Writes the stock models' thumbnails once.
pub(super) fn ensure_stock_models(inner: &Inner) {
    for (id, name) in STOCK_MODELS {
        let key = format!("stock/{id}/thumb.png");
        if inner.store.object(&key).is_some_and(|o| o.complete) {
            continue;
        }
        let picture = outputs::png(128, &format!("thumbnail of {name}"));
        if let Err(e) = inner.put_object(&key, "thumb.png", &picture) {
            tracing::warn!(error = %e, "cannot write a stock thumbnail");
        }
    }
}

mod characters;
mod people_api;
mod processing;
mod session;
mod storage;
mod webhook_endpoints;

pub(super) use characters::*;
pub(super) use processing::*;
pub(super) use session::*;
pub(super) use storage::*;
pub(super) use webhook_endpoints::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_urls_on_any_host() {
        assert_eq!(
            key_from_url(
                "http://127.0.0.1:1/storage/uploads/ab/My%20clip.mp4?expires=1&signature=x"
            )
            .as_deref(),
            Some("uploads/ab/My clip.mp4")
        );
        assert_eq!(
            key_from_url("/storage/uploads/ab/x.mp4").as_deref(),
            Some("uploads/ab/x.mp4")
        );
        assert_eq!(key_from_url("http://h/upload/x.mp4"), None);
        assert_eq!(safe_name("../a b/c d?.mp4"), "c_d_.mp4");
        assert_eq!(safe_name(".."), "file");
    }

    #[test]
    fn form_and_json_bodies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let map = body_object(
            &headers,
            &Bytes::from("url=http%3A%2F%2Fx&events=job.completed&p[]=a&q=1&q=2"),
        )
        .unwrap();
        assert_eq!(field_str(&map, "url").as_deref(), Some("http://x"));
        assert_eq!(field_list(&map, "events", true).unwrap(), ["job.completed"]);
        assert_eq!(field_list(&map, "p", false).unwrap(), ["a"]);
        assert_eq!(field_list(&map, "q", false).unwrap(), ["1", "2"]);
        let map = body_object(&HeaderMap::new(), &Bytes::from(r#"{"createThumb":"1"}"#)).unwrap();
        assert!(field_flag(&map, "createThumb").unwrap());
        assert!(body_object(&HeaderMap::new(), &Bytes::from("[1]")).is_err());
        assert!(
            body_object(&HeaderMap::new(), &Bytes::new())
                .unwrap()
                .is_empty()
        );
    }
}
