//! The MotionDynamic emulator: PostgREST-style `/rest/themes` and
//! `/rest/generations`, `/graphql`, JWT auth, the per-IP rate limit,
//! rendering on a scalable clock and webhook delivery.
//!
//! Besides the API it serves `GET /rest/` (the OpenAPI 3.1 document at the
//! REST root, as PostgREST does; no auth), `GET /videos/{file}` (rendered
//! MP4s, with `Range`) and `GET /sandbox/stats` (counters, no auth) for
//! tests and CI.
//!
//! This module routes and guards the requests (rate limit, JWT, faults)
//! and answers `/rest`; `postgrest/` reads tables with PostgREST's query
//! language, `graphql/` serves the schema of the spec, `store/` holds
//! themes, generations (rendered by `render`) and webhook deliveries,
//! `rules` checks values against their theme, `auth` the JWTs and
//! `rate_limit` the per-IP limit.

mod auth;
mod graphql;
mod postgrest;
mod rate_limit;
mod render;
mod rules;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::PostgrestMode;
use crate::faults::Fault;
use crate::{SandboxConfig, SandboxError};
use postgrest::PgError;
use rate_limit::{RateLimiter, Verdict};
pub use store::{MotionDynamicStats, MotionDynamicStore, WebhookDelivery};

/// Response header naming why a generation was discarded.
pub const DISCARDED_HEADER: &str = "x-sandbox-discarded";

/// The MotionDynamic half of the sandbox.
#[derive(Clone)]
pub struct MotionDynamic {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<SandboxConfig>,
    base_url: String,
    store: Arc<MotionDynamicStore>,
    limiter: RateLimiter,
    schema: async_graphql::dynamic::Schema,
}

impl std::fmt::Debug for MotionDynamic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MotionDynamic")
            .field("stats", &self.inner.store.stats.to_json())
            .finish_non_exhaustive()
    }
}

impl MotionDynamic {
    /// Prepares the emulator that will serve at `base_url`.
    pub fn new(
        config: Arc<SandboxConfig>,
        base_url: &str,
        shutdown: CancellationToken,
    ) -> Result<Self, SandboxError> {
        let store = Arc::new(MotionDynamicStore::new(
            base_url,
            Clock::new(config.args.time_scale),
            config.args.cold_start,
            config.args.video_min_bytes,
            Arc::new(config.faults.clone()),
            shutdown,
        ));
        let schema = graphql::schema(store.clone())
            .map_err(|e| SandboxError::Storage(format!("GraphQL schema: {e}")))?;
        let limiter = RateLimiter::new(
            config.args.rate_limit,
            Duration::from_secs_f64(config.args.rate_limit_block.max(0.0)),
        );
        Ok(MotionDynamic {
            inner: Arc::new(Inner {
                config,
                base_url: base_url.trim_end_matches('/').to_owned(),
                store,
                limiter,
                schema,
            }),
        })
    }

    /// The routes.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/rest/{table}", get(read_table).post(insert))
            .route("/graphql", axum::routing::post(graphql).get(graphql_get))
            .layer(axum::middleware::from_fn_with_state(self.clone(), guard));
        Router::new()
            .merge(api)
            .route("/rest/", get(openapi))
            .route("/videos/{file}", get(video))
            .route("/sandbox/stats", get(stats))
            .route("/sandbox/pictures/{file}", get(picture))
            .with_state(self.clone())
    }

    /// The data behind the emulator, for inspection in tests.
    pub fn store(&self) -> &MotionDynamicStore {
        &self.inner.store
    }

    /// The served GraphQL schema as SDL.
    pub fn sdl(&self) -> String {
        self.inner.schema.sdl()
    }

    /// Whether the token's role may read generations.
    fn plain(&self) -> bool {
        self.inner.config.args.postgrest_mode == PostgrestMode::Plain
    }

    /// PostgREST's refusal of a read of `generations` to a role without
    /// `SELECT` on it. The JWT's role is an authenticated one, so the
    /// status is 403 (PostgREST sends 401 only for its anonymous role).
    fn permission_denied(&self) -> Response {
        self.inner
            .store
            .stats
            .permission_denied
            .fetch_add(1, Ordering::Relaxed);
        PgError::new(
            StatusCode::FORBIDDEN,
            "42501",
            "permission denied for table generations",
        )
        .into_response()
    }

    /// Requests answered 429 so far.
    pub fn rate_limited(&self) -> u64 {
        self.inner.store.stats.rate_limited.load(Ordering::Relaxed)
    }
}

/// A JWT for the sandbox, signed with `secret` (HS256), valid `ttl` seconds.
pub fn mint_token(secret: &str, ttl: u64) -> String {
    auth::mint(secret, ttl)
}

fn endpoint_of(method: &Method, path: &str) -> (&'static str, bool) {
    match (method, path) {
        (&Method::POST, "/rest/generations") => ("create_generation", false),
        (_, "/rest/generations") => ("list_generations", true),
        (&Method::POST, "/graphql") => ("graphql", false),
        _ => ("list_themes", true),
    }
}

/// Rate limit first (it is per IP, whoever asks), then the JWT, then faults.
async fn guard(
    State(md): State<MotionDynamic>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let inner = &md.inner;
    inner.store.stats.requests.fetch_add(1, Ordering::Relaxed);
    if let Verdict::Block(wait) = inner.limiter.check(peer.ip()) {
        inner
            .store
            .stats
            .rate_limited
            .fetch_add(1, Ordering::Relaxed);
        return too_many(wait);
    }
    if let Err(refused) = auth::check(request.headers(), &inner.config.args.jwt_secret) {
        return refused.into_response();
    }
    let (name, idempotent) = endpoint_of(request.method(), request.uri().path());
    let (fault, latency) = inner.config.faults.decide(name, idempotent);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Fault::None => next.run(request).await,
        Fault::Reset => crate::server::reset(),
        Fault::TooManyRequests => too_many(Duration::from_secs(1)),
        Fault::ServerError(status) => PgError::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "PGRST000",
            "injected fault: service unavailable",
        )
        .into_response(),
    }
}

fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = PgError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "429",
        "Too many requests: the limit is 5 requests per second per IP address",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

fn wants(headers: &HeaderMap, preference: &str) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(preference))
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

async fn read_table(
    State(md): State<MotionDynamic>,
    Path(table): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if table == "generations" && md.plain() {
        return md.permission_denied();
    }
    let Some(rows) = md.inner.store.table(&table) else {
        return PgError::unknown_table(&table).into_response();
    };
    let query = match postgrest::parse_query(&query_pairs(raw.as_deref())) {
        Ok(query) => query,
        Err(e) => return e.into_response(),
    };
    match postgrest::run(&table, &rows, &query) {
        Ok((page, total)) => {
            let exact = wants(&headers, "count=exact");
            let range = postgrest::content_range(query.offset, page.len(), exact.then_some(total));
            let mut response = json_response(StatusCode::OK, &serde_json::Value::Array(page));
            if let Ok(value) = HeaderValue::from_str(&range) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn insert(
    State(md): State<MotionDynamic>,
    Path(table): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match table.as_str() {
        "generations" => {}
        "themes" | "parameters" => {
            return PgError::new(
                StatusCode::FORBIDDEN,
                "42501",
                format!("permission denied for table {table}"),
            )
            .into_response();
        }
        _ => return PgError::unknown_table(&table).into_response(),
    }
    md.inner
        .store
        .stats
        .generation_posts
        .fetch_add(1, Ordering::Relaxed);
    // The row back needs `SELECT`: PostgreSQL checks it before inserting,
    // so the refusal creates nothing (the transaction is rolled back).
    if md.plain()
        && (wants(&headers, "return=representation") || wants(&headers, "return=headers-only"))
    {
        return md.permission_denied();
    }
    let body: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return PgError::new(StatusCode::BAD_REQUEST, "PGRST102", "Empty or invalid json")
                .details(e.to_string())
                .into_response();
        }
    };
    let items = match body {
        serde_json::Value::Array(items) => items,
        single => vec![single],
    };
    let mut rows = Vec::new();
    let mut reasons = Vec::new();
    for item in &items {
        match md.inner.store.create(item).await {
            Ok((row, reason)) => {
                rows.push(row);
                reasons.extend(reason);
            }
            Err(e) => return e.into_response(),
        }
    }
    let mut response = if wants(&headers, "return=representation") {
        json_response(
            StatusCode::CREATED,
            &serde_json::to_value(&rows).unwrap_or_default(),
        )
    } else {
        StatusCode::CREATED.into_response()
    };
    if let Some(first) = rows.first().filter(|_| !md.plain())
        && let Ok(value) = HeaderValue::from_str(&format!(
            "/generations?generation_id=eq.{}",
            first.generation_id
        ))
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if !reasons.is_empty() {
        let reason: String = reasons
            .join("; ")
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .take(2000)
            .collect();
        if let Ok(value) = HeaderValue::from_str(&reason) {
            response.headers_mut().insert(DISCARDED_HEADER, value);
        }
    }
    response
}

async fn graphql(State(md): State<MotionDynamic>, body: Bytes) -> Response {
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            let body = serde_json::json!({"errors": [{"message": format!("invalid GraphQL request body: {e}")}]});
            return json_response(StatusCode::BAD_REQUEST, &body);
        }
    };
    if md.plain() && graphql::reads_generations(&request.query) {
        md.inner
            .store
            .stats
            .permission_denied
            .fetch_add(1, Ordering::Relaxed);
        // PostGraphile reports the database's refusal as a GraphQL error;
        // like PostgREST it rolls back the whole request.
        let body = serde_json::json!({
            "errors": [{
                "message": "permission denied for table generations",
                "extensions": {"code": "42501"},
            }],
            "data": null,
        });
        return json_response(StatusCode::OK, &body);
    }
    let response = md.inner.schema.execute(request).await;
    let body = serde_json::to_value(&response).unwrap_or_default();
    json_response(StatusCode::OK, &body)
}

async fn graphql_get() -> Response {
    let body = serde_json::json!({"errors": [{"message": "send GraphQL requests as POST with a JSON body"}]});
    let mut response = json_response(StatusCode::METHOD_NOT_ALLOWED, &body);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

async fn video(
    State(md): State<MotionDynamic>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(bytes) = md.inner.store.video(&file) else {
        return (StatusCode::NOT_FOUND, "no such video").into_response();
    };
    let total = bytes.len();
    // Slices of the stored video: a large one is never copied per request.
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(start, end)| {
            let start: usize = start.parse().ok()?;
            let end: usize = if end.is_empty() {
                total.checked_sub(1)?
            } else {
                end.parse().ok()?
            };
            (start <= end && start < total).then_some((start, end.min(total - 1)))
        });
    let (status, body, content_range) = match range {
        Some((start, end)) => (
            StatusCode::PARTIAL_CONTENT,
            bytes.slice(start..=end),
            Some(format!("bytes {start}-{end}/{total}")),
        ),
        None => (StatusCode::OK, bytes, None),
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(value) = content_range.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    response
}

/// `GET /rest/`: the OpenAPI document at the REST root, as PostgREST serves
/// its own; like PostgREST's it needs no token.
async fn openapi(State(md): State<MotionDynamic>) -> Response {
    crate::openapi::respond(crate::openapi::MOTIONDYNAMIC, &md.inner.base_url)
}

/// Largest side of a picture `/sandbox/pictures/WxH.png` serves.
pub(crate) const MAX_PICTURE_SIDE: u32 = 2048;

/// `GET /sandbox/pictures/{W}x{H}.png`: a real PNG of that size, for
/// picture parameters in tests without the internet
/// ([`crate::Sandbox::picture_url`]).
async fn picture(Path(file): Path<String>) -> Response {
    let size = file
        .strip_suffix(".png")
        .and_then(|dims| dims.split_once('x'))
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .filter(|(w, h)| (1..=MAX_PICTURE_SIDE).contains(w) && (1..=MAX_PICTURE_SIDE).contains(h));
    let Some((width, height)) = size else {
        return (
            StatusCode::NOT_FOUND,
            format!("no such picture: ask for WxH.png with sides of 1 to {MAX_PICTURE_SIDE}"),
        )
            .into_response();
    };
    let rgb = vec![0x60; width as usize * height as usize * 3];
    let bytes = crate::deepmotion::png_rgb(width, height, &rgb, "a picture for tests");
    ([(header::CONTENT_TYPE, "image/png")], bytes).into_response()
}

async fn stats(State(md): State<MotionDynamic>) -> Response {
    json_response(StatusCode::OK, &md.inner.store.stats.to_json())
}
