//! Handlers of the documented endpoints.
//!
//! Bodies of `POST` calls are read as JSON objects, or as form fields when
//! the request says `application/x-www-form-urlencoded` (a repeated field,
//! or one named `x[]`, is a list; `events` may also be comma-separated).
//! Unknown query parameters and body fields are ignored.

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
use motionkit_validation::picture::PictureFormat;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use super::jobs::{self, ModelKind, Phase};
use super::media::{self, Probe};
use super::outputs;
use super::signing::{decode_component, parse_pairs};
use super::store::{Job, Model, Object, Webhook};
use super::{Inner, now_ms, webhooks};

/// Lifetime of an upload URL, in seconds.
pub const UPLOAD_URL_TTL_SECS: u64 = 24 * 3600;
/// Lifetime of a download link, in seconds.
pub const DOWNLOAD_URL_TTL_SECS: u64 = 3600;
/// `exc_type` of failed jobs.
pub const FAILURE_TYPE: &str = "ProcessingError";
/// The rig every model is associated with.
pub const RIG_ID: &str = "deepmotion-humanoid";
/// Stock models: id and name.
pub const STOCK_MODELS: &[(&str, &str)] = &[
    ("dm-stock-male-01", "Sandbox Stock Male"),
    ("dm-stock-female-01", "Sandbox Stock Female"),
    ("dm-stock-robot-01", "Sandbox Stock Robot"),
];
const STOCK_TIME_MS: u64 = 1_577_836_800_000;

/// A JSON error answer: `{"error": message}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

/// A refused request, as the error side of helpers' results (small, unlike
/// a `Response`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
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
pub fn safe_name(name: &str) -> String {
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
pub fn key_from_url(url: &str) -> Option<String> {
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
pub fn ensure_stock_models(inner: &Inner) {
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

// API 1 -------------------------------------------------------------------

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// `GET /session/auth`.
pub async fn session_auth(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let args = &inner.config.args;
    let valid = basic_credentials(&headers).is_some_and(|(id, secret)| {
        let id_ok = id.as_bytes().ct_eq(args.client_id.as_bytes());
        let secret_ok = secret.as_bytes().ct_eq(args.client_secret.as_bytes());
        bool::from(id_ok & secret_ok)
    });
    if !valid {
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "invalid client credentials: send Authorization: Basic base64(clientId:clientSecret)",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Animate 3D\""),
        );
        return response;
    }
    let ttl = inner.config.session_ttl();
    let token = random_hex(24);
    // `Expires` has whole seconds: round the expiry up to one and use that
    // same instant on both sides, so clients know exactly when it ends.
    let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX / 4);
    let expires_ms = (now_ms().saturating_add(ttl_ms)).div_ceil(1000) * 1000;
    inner.store.insert_session(&token, expires_ms);
    let expires = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(expires_ms),
    );
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; Expires={expires}; HttpOnly",
        inner.signer.session_cookie(&token)
    );
    inner.counters.auths.fetch_add(1, Ordering::Relaxed);
    let mut response = StatusCode::OK.into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

// API 2 -------------------------------------------------------------------

/// `GET /upload?name=..&resumable=..`.
pub async fn upload_url(State(inner): State<Arc<Inner>>, uri: Uri) -> Response {
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

// API 3 -------------------------------------------------------------------

/// `POST /process`.
pub async fn process(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    let map = match body_object(&headers, &body) {
        Ok(map) => map,
        Err(e) => return e.into_response(),
    };
    match field_str(&map, "processor") {
        Some(p) if p == PROCESSOR_VIDEO2ANIM => {}
        Some(p) => return bad_request(format!("unknown processor {p:?}; use video2anim")),
        None => return bad_request("`processor` is required (video2anim)"),
    }
    let params = field_list(&map, "params", false).unwrap_or_default();
    let input = match (field_str(&map, "url"), field_str(&map, "rid")) {
        (Some(_), Some(_)) => return bad_request("give `url` or `rid`, not both"),
        (None, None) => {
            return bad_request(
                "`url` (returned by GET /upload) or `rid` (of a successful job) is required",
            );
        }
        (Some(url), None) => match inner.uploaded(&url, "uploads/") {
            Some(object) => object,
            None => return bad_request("`url` does not match a URL returned by GET /upload"),
        },
        (None, Some(rid)) => {
            let Some(job) = inner.store.job(&rid) else {
                return error(StatusCode::NOT_FOUND, format!("no job {rid}"));
            };
            let (phase, _) = jobs::phase(&job, inner.simulated_since(job.ctime));
            if phase != Phase::Success {
                return bad_request(format!(
                    "job {rid} has not succeeded; only a successful job can be rerun"
                ));
            }
            match inner.store.object(&job.input_key) {
                Some(object) => object,
                None => return error(StatusCode::NOT_FOUND, "the job's input is gone"),
            }
        }
    };
    let probe = match (&input.file, input.complete) {
        (Some(file), true) => {
            let path = inner.store.path(file);
            tokio::task::spawn_blocking(move || media::probe(&path))
                .await
                .ok()
        }
        _ => None,
    };
    let rid = jobs::new_rid();
    let lookup = |id: &str| inner.model_kind(id);
    let plan = jobs::plan(jobs::Submission {
        rid: rid.clone(),
        input: &input,
        probe,
        params,
        model: &lookup,
        now: now_ms(),
    });
    // Outputs are written before the job exists, so a job never shows
    // SUCCESS without its files.
    let writer = inner.clone();
    let to_write = plan.clone();
    let written = tokio::task::spawn_blocking(move || write_outputs(&writer, &to_write)).await;
    let files = match written {
        Ok(Ok(files)) => files,
        Ok(Err(e)) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot write the outputs: {e}"),
            );
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    if let Err(refused) = inner.store.insert_job_charged(&plan.job) {
        for file in files {
            let _ = std::fs::remove_file(inner.store.path(&file));
        }
        if refused.balance.is_nan() {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "cannot store the job");
        }
        return error(
            StatusCode::PAYMENT_REQUIRED,
            format!(
                "not enough credits: the balance is {}, this job costs {}",
                refused.balance, plan.job.credits
            ),
        );
    }
    inner.counters.submissions.fetch_add(1, Ordering::Relaxed);
    webhooks::schedule(inner.clone(), &plan.job);
    Json(ProcessResponse { rid }).into_response()
}

/// Writes a plan's output files and records them as complete objects;
/// returns the files written.
fn write_outputs(inner: &Inner, plan: &jobs::Plan) -> std::io::Result<Vec<String>> {
    let mut files = Vec::new();
    let spec = outputs::Spec {
        rid: &plan.job.rid,
        frames: plan.frames,
        fps: plan.fps,
    };
    for output in &plan.job.outputs {
        let file = inner.store.new_file();
        let path = inner.store.path(&file);
        outputs::write(&path, &output.format, spec)?;
        files.push(file.clone());
        let size = std::fs::metadata(&path)?.len();
        let name = output.key.rsplit('/').next().unwrap_or("output");
        inner
            .store
            .complete_object(&output.key, name, &file, size, None, now_ms());
    }
    Ok(files)
}

// API 4, 5, 6 ----------------------------------------------------------------

fn split_ids(ids: &str) -> Vec<String> {
    ids.split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The jobs among `ids`, in order; unknown ids are left out.
fn known_jobs(inner: &Inner, ids: &str) -> Result<Vec<Job>, ApiError> {
    let ids = split_ids(ids);
    let jobs: Vec<Job> = ids.iter().filter_map(|rid| inner.store.job(rid)).collect();
    if jobs.is_empty() {
        return Err(fail(
            StatusCode::NOT_FOUND,
            format!("no job with id {}", ids.join(",")),
        ));
    }
    Ok(jobs)
}

fn status_entry(inner: &Inner, job: &Job) -> JobStatusEntry {
    let (phase, _) = jobs::phase(job, inner.simulated_since(job.ctime));
    let empty = StatusDetails {
        step: None,
        total: None,
        input: None,
        out: None,
        exc_message: None,
        exc_type: None,
    };
    let (status, details) = match phase {
        Phase::Progress { step } => {
            let rate = inner.config.faults.file.retry_status_rate;
            if rate > 0.0 && inner.config.faults.draw() < rate {
                (
                    JobStatus::Retry,
                    StatusDetails {
                        exc_message: Some(
                            "sandbox: the worker was lost; the job is being retried".into(),
                        ),
                        exc_type: Some("WorkerLostError".into()),
                        ..empty
                    },
                )
            } else {
                (
                    JobStatus::Progress,
                    StatusDetails {
                        step: Some(f64::from(step)),
                        total: Some(f64::from(jobs::TOTAL_STEPS)),
                        ..empty
                    },
                )
            }
        }
        Phase::Success => (
            JobStatus::Success,
            StatusDetails {
                input: Some(job.file_name.clone()),
                out: job
                    .outputs
                    .iter()
                    .find(|o| matches!(o.format.as_str(), "mp4" | "png" | "jpg"))
                    .or(job.outputs.first())
                    .and_then(|o| o.key.rsplit('/').next())
                    .map(str::to_owned),
                ..empty
            },
        ),
        Phase::Failure => (
            JobStatus::Failure,
            StatusDetails {
                exc_message: job.failure_message.clone(),
                exc_type: Some(FAILURE_TYPE.into()),
                ..empty
            },
        ),
    };
    JobStatusEntry {
        rid: job.rid.clone(),
        status,
        details: Some(details),
    }
}

/// `GET /status/{rids}`. Unknown ids are left out; `404` when none is known.
pub async fn status(State(inner): State<Arc<Inner>>, Path(rids): Path<String>) -> Response {
    let jobs = match known_jobs(&inner, &rids) {
        Ok(jobs) => jobs,
        Err(e) => return e.into_response(),
    };
    let status: Vec<JobStatusEntry> = jobs.iter().map(|job| status_entry(&inner, job)).collect();
    Json(StatusResponse {
        count: status.len() as i64,
        status,
    })
    .into_response()
}

fn download_link(inner: &Inner, job: &Job) -> DownloadLink {
    let bare = DownloadLink {
        rid: job.rid.clone(),
        name: None,
        size: None,
        duration: None,
        input: None,
        urls: None,
    };
    let (phase, _) = jobs::phase(job, inner.simulated_since(job.ctime));
    if phase != Phase::Success {
        return bare;
    }
    let files = job
        .outputs
        .iter()
        .map(|output| BTreeMap::from([(output.format.clone(), inner.download_url(&output.key))]))
        .collect();
    DownloadLink {
        name: Some(job.file_name.clone()),
        size: Some(job.file_size as f64),
        duration: Some(job.duration.unwrap_or(0.0)),
        input: Some(inner.download_url(&job.input_key)),
        urls: Some(vec![DownloadItem {
            name: Some(jobs::stem(&job.file_name)),
            files,
        }]),
        ..bare
    }
}

/// `GET /download/{rids}`. Unknown ids are left out; `404` when none is
/// known.
pub async fn download(State(inner): State<Arc<Inner>>, Path(rids): Path<String>) -> Response {
    let jobs = match known_jobs(&inner, &rids) {
        Ok(jobs) => jobs,
        Err(e) => return e.into_response(),
    };
    let links: Vec<DownloadLink> = jobs.iter().map(|job| download_link(&inner, job)).collect();
    Json(DownloadResponse {
        count: links.len() as i64,
        links,
    })
    .into_response()
}

fn list_entries(inner: &Inner, statuses: Option<&[String]>) -> Response {
    let list: Vec<JobListEntry> = inner
        .store
        .jobs()
        .iter()
        .map(|job| {
            let (phase, changed) = jobs::phase(job, inner.simulated_since(job.ctime));
            let status = match phase {
                Phase::Progress { .. } => JobStatus::Progress,
                Phase::Success => JobStatus::Success,
                Phase::Failure => JobStatus::Failure,
            };
            JobListEntry {
                rid: job.rid.clone(),
                file_name: Some(job.file_name.clone()),
                file_size: Some(job.file_size as f64),
                file_duration: Some(job.duration.unwrap_or(0.0)),
                status,
                ctime: Some(job.ctime as f64),
                mtime: Some((job.ctime + inner.real(changed).as_millis() as u64) as f64),
            }
        })
        .filter(|entry| {
            statuses.is_none_or(|wanted| wanted.iter().any(|s| s == entry.status.as_str()))
        })
        .collect();
    Json(ListResponse {
        count: list.len() as i64,
        list,
    })
    .into_response()
}

/// `GET /list`.
pub async fn list(State(inner): State<Arc<Inner>>) -> Response {
    list_entries(&inner, None)
}

/// `GET /list/{statuses}`: status names are matched exactly (case
/// sensitive).
pub async fn list_by_status(
    State(inner): State<Arc<Inner>>,
    Path(statuses): Path<String>,
) -> Response {
    let wanted = split_ids(&statuses);
    list_entries(&inner, Some(&wanted))
}

// API 7, 8 -------------------------------------------------------------------

/// `GET /account/creditBalance`.
pub async fn credit_balance(State(inner): State<Arc<Inner>>) -> Response {
    Json(CreditBalanceResponse {
        credits: inner.store.credits(),
    })
    .into_response()
}

/// `POST /videoInfo`.
pub async fn video_info(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match body_object(&headers, &body) {
        Ok(map) => map,
        Err(e) => return e.into_response(),
    };
    let Some(url) = field_str(&map, "url") else {
        return bad_request("`url` (returned by GET /upload) is required");
    };
    let Some(object) = inner.uploaded(&url, "uploads/") else {
        return bad_request("`url` does not match a URL returned by GET /upload");
    };
    let Some(file) = object.file.clone().filter(|_| object.complete) else {
        return error(
            StatusCode::NOT_FOUND,
            "nothing has been uploaded to this URL yet",
        );
    };
    let path = inner.store.path(&file);
    let probe = match tokio::task::spawn_blocking(move || media::probe(&path)).await {
        Ok(probe) => probe,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let size = Some(i64::try_from(object.size).unwrap_or(i64::MAX));
    let info = match probe {
        Probe::Video(meta) => VideoInfoResponse {
            width: i64::from(meta.width),
            height: i64::from(meta.height),
            fps: Some(meta.fps),
            duration: Some(meta.duration),
            codec: Some(meta.codec),
            size,
        },
        Probe::Image {
            format,
            width,
            height,
        } => VideoInfoResponse {
            width: i64::from(width),
            height: i64::from(height),
            fps: None,
            duration: None,
            codec: Some(
                if format == PictureFormat::Png {
                    "png"
                } else {
                    "jpeg"
                }
                .into(),
            ),
            size,
        },
        Probe::BrokenVideo(container, why) => {
            return bad_request(format!(
                "cannot read the video information ({} container: {why})",
                container.name()
            ));
        }
        Probe::Unsupported(why) => {
            return bad_request(format!("cannot read the video information: {why}"));
        }
    };
    Json(info).into_response()
}

// Custom characters ----------------------------------------------------------

fn extension(value: Option<&String>, default: &str) -> String {
    let cleaned: String = value
        .map(|v| v.trim().trim_start_matches('.'))
        .unwrap_or(default)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    if cleaned.is_empty() {
        default.to_owned()
    } else {
        cleaned
    }
}

/// `GET /character/getModelUploadUrl`.
pub async fn get_model_upload_url(State(inner): State<Arc<Inner>>, uri: Uri) -> Response {
    let query = query_map(&uri);
    let resumable = match flag(
        query.get("resumable").map(String::as_str),
        "resumable",
        true,
    ) {
        Ok(resumable) => resumable,
        Err(e) => return e.into_response(),
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let name = query
        .get("name")
        .map(|n| safe_name(n.trim()))
        .filter(|n| n != "file")
        .unwrap_or_else(|| format!("model-{}", &id[..8]));
    let model_ext = extension(query.get("modelExt"), "fbx");
    let thumb_ext = extension(query.get("thumbExt"), "png");
    let model_name = format!("{name}.{model_ext}");
    let thumb_name = format!("{name}.{thumb_ext}");
    let model_key = format!("models/{id}/model/{model_name}");
    let thumb_key = format!("models/{id}/thumb/{thumb_name}");
    let now = now_ms();
    inner.store.issue_object(&model_key, &model_name, now);
    inner.store.issue_object(&thumb_key, &thumb_name, now);
    Json(ModelUploadUrlResponse {
        model_url: inner.upload_target(&model_key, resumable),
        thumb_url: inner.upload_target(&thumb_key, resumable),
    })
    .into_response()
}

fn uploaded_model_file(inner: &Inner, url: &str, what: &str) -> Result<Object, ApiError> {
    match inner.uploaded(url, "models/") {
        Some(object) if object.complete => Ok(object),
        Some(_) => Err(bad(format!("nothing has been uploaded to `{what}` yet"))),
        None => Err(bad(format!(
            "`{what}` does not match a URL returned by getModelUploadUrl"
        ))),
    }
}

fn generate_thumb(inner: &Inner, model_id: &str, name: &str) -> Result<String, ApiError> {
    let key = format!("models/{model_id}/generated/thumb.png");
    inner
        .put_object(
            &key,
            "thumb.png",
            &outputs::png(128, &format!("thumbnail of {name}")),
        )
        .map_err(|e| fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(key)
}

/// `POST /character/storeModel`.
pub async fn store_model(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let map = match body_object(&headers, &body) {
        Ok(map) => map,
        Err(e) => return e.into_response(),
    };
    let create_thumb = match field_flag(&map, "createThumb") {
        Ok(flag) => flag,
        Err(e) => return e.into_response(),
    };
    let resolved = (|| -> Result<Model, ApiError> {
        let model_url = field_str(&map, "modelUrl");
        let model_name = field_str(&map, "modelName");
        let thumb = match field_str(&map, "thumbUrl") {
            Some(url) => Some(uploaded_model_file(&inner, &url, "thumbUrl")?.key),
            None => None,
        };
        let model_file = match &model_url {
            Some(url) => Some(uploaded_model_file(&inner, url, "modelUrl")?),
            None => None,
        };
        let now = now_ms();
        let mut model = match (field_str(&map, "modelId"), model_file) {
            (Some(id), file) => {
                if inner.model_kind(&id) == ModelKind::Stock {
                    return Err(bad("stock models cannot be changed"));
                }
                let Some(mut model) = inner.store.models().into_iter().find(|m| m.id == id) else {
                    return Err(fail(StatusCode::NOT_FOUND, format!("no model {id}")));
                };
                if let Some(file) = file {
                    model.model_key = file.key;
                }
                if let Some(name) = model_name {
                    model.name = name;
                }
                model
            }
            (None, Some(file)) => Model {
                id: random_hex(12),
                name: model_name.unwrap_or_else(|| jobs::stem(&file.name)),
                model_key: file.key,
                thumb_key: None,
                rig_id: RIG_ID.into(),
                ctime: now,
                mtime: now,
            },
            (None, None) => {
                return Err(bad(
                    "`modelUrl` (to store a new model) or `modelId` (to update one) is required",
                ));
            }
        };
        if let Some(thumb) = thumb {
            model.thumb_key = Some(thumb);
        }
        if create_thumb {
            model.thumb_key = Some(generate_thumb(&inner, &model.id, &model.name)?);
        }
        model.mtime = now;
        Ok(model)
    })();
    match resolved {
        Ok(model) => {
            inner.store.put_model(&model);
            Json(StoreModelResponse { model_id: model.id }).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /character/listModels?modelId=..&searchToken=..`.
pub async fn list_models(State(inner): State<Arc<Inner>>, uri: Uri) -> Response {
    let query = query_map(&uri);
    let model_id = query
        .get("modelId")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    let token = query
        .get("searchToken")
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let stock = STOCK_MODELS.iter().map(|(id, name)| CharacterModel {
        id: (*id).to_owned(),
        name: Some((*name).to_owned()),
        thumb: Some(inner.download_url(&format!("stock/{id}/thumb.png"))),
        rig_id: Some(RIG_ID.into()),
        ctime: Some(Value::from(STOCK_TIME_MS)),
        mtime: Some(Value::from(STOCK_TIME_MS)),
    });
    let custom = inner.store.models().into_iter().map(|m| CharacterModel {
        thumb: m.thumb_key.as_deref().map(|key| inner.download_url(key)),
        id: m.id,
        name: Some(m.name),
        rig_id: Some(m.rig_id),
        ctime: Some(Value::from(m.ctime)),
        mtime: Some(Value::from(m.mtime)),
    });
    let models: Vec<CharacterModel> = stock
        .chain(custom)
        .filter(|m| model_id.is_none_or(|id| m.id == id))
        .filter(|m| {
            token.as_ref().is_none_or(|t| {
                m.name
                    .as_deref()
                    .is_some_and(|name| name.to_lowercase().contains(t.as_str()))
            })
        })
        .collect();
    Json(models).into_response()
}

/// `DELETE /character/deleteModel/{model_id}`: stock models are not
/// deleted (`count` 0).
pub async fn delete_model(
    State(inner): State<Arc<Inner>>,
    Path(model_id): Path<String>,
) -> Response {
    let count = inner.store.delete_model(&model_id);
    Json(DeleteModelResponse {
        count: count as i64,
    })
    .into_response()
}

// Webhooks ------------------------------------------------------------------

const WEBHOOK_OBJECT: &str = "webhook_endpoint";

fn endpoint_view(hook: Webhook) -> WebhookEndpoint {
    WebhookEndpoint {
        id: hook.id,
        object: WEBHOOK_OBJECT.into(),
        url: hook.url,
        events: hook.events,
    }
}

fn valid_url(url: &str) -> Result<String, ApiError> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    match rest {
        Some(host)
            if !host.is_empty() && !host.starts_with('/') && !url.contains(char::is_whitespace) =>
        {
            Ok(url.to_owned())
        }
        _ => Err(bad(format!(
            "`url` must be an absolute http(s) URL, not {url:?}"
        ))),
    }
}

fn valid_events(events: Vec<String>) -> Result<Vec<String>, ApiError> {
    if events.is_empty() {
        return Err(bad(format!(
            "`events` must list at least one event: {}",
            WEBHOOK_EVENTS.join(", ")
        )));
    }
    if let Some(unknown) = events
        .iter()
        .find(|e| !WEBHOOK_EVENTS.contains(&e.as_str()))
    {
        return Err(bad(format!(
            "unknown event {unknown:?}; known events: {}",
            WEBHOOK_EVENTS.join(", ")
        )));
    }
    Ok(events)
}

fn find_webhook(inner: &Inner, id: &str) -> Result<Webhook, ApiError> {
    inner
        .store
        .webhooks()
        .into_iter()
        .find(|hook| hook.id == id)
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, format!("no webhook endpoint {id}")))
}

/// `POST /webhook_endpoints`.
pub async fn create_webhook(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let created = (|| -> Result<Webhook, ApiError> {
        let map = body_object(&headers, &body)?;
        let url = valid_url(&field_str(&map, "url").ok_or_else(|| bad("`url` is required"))?)?;
        let events = valid_events(
            field_list(&map, "events", true).ok_or_else(|| bad("`events` is required"))?,
        )?;
        Ok(Webhook {
            id: format!("we_{}", random_hex(12)),
            url,
            events,
        })
    })();
    match created {
        Ok(hook) => {
            inner.store.insert_webhook(&hook);
            Json(endpoint_view(hook)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /webhook_endpoints/{endpoint_id}`.
pub async fn get_webhook(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    match find_webhook(&inner, &id) {
        Ok(hook) => Json(endpoint_view(hook)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /webhook_endpoints`.
pub async fn list_webhooks(State(inner): State<Arc<Inner>>) -> Response {
    let endpoints: Vec<WebhookEndpoint> = inner
        .store
        .webhooks()
        .into_iter()
        .map(endpoint_view)
        .collect();
    Json(WebhookEndpointList {
        count: endpoints.len() as i64,
        endpoints,
    })
    .into_response()
}

/// `POST /webhook_endpoints/{endpoint_id}`: sets the fields given.
pub async fn update_webhook(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let updated = (|| -> Result<Webhook, ApiError> {
        let mut hook = find_webhook(&inner, &id)?;
        let map = body_object(&headers, &body)?;
        if let Some(url) = field_str(&map, "url") {
            hook.url = valid_url(&url)?;
        }
        if let Some(events) = field_list(&map, "events", true) {
            hook.events = valid_events(events)?;
        }
        Ok(hook)
    })();
    match updated {
        Ok(hook) if inner.store.update_webhook(&hook) => Json(endpoint_view(hook)).into_response(),
        Ok(hook) => error(
            StatusCode::NOT_FOUND,
            format!("no webhook endpoint {}", hook.id),
        ),
        Err(e) => e.into_response(),
    }
}

/// `DELETE /webhook_endpoints/{endpoint_id}`.
pub async fn delete_webhook(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    if inner.store.delete_webhook(&id) {
        Json(DeletedWebhookEndpoint {
            id,
            object: WEBHOOK_OBJECT.into(),
            deleted: true,
        })
        .into_response()
    } else {
        error(StatusCode::NOT_FOUND, format!("no webhook endpoint {id}"))
    }
}

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
