//! Themes, generations, rendering and webhook delivery.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use motionkit_models::motiondynamic::{
    Generation, GenerationStatus, GenerationValue, Theme, WEBHOOK_RETRY_INTERVAL_SECONDS,
    WEBHOOK_RETRY_WINDOW_SECONDS,
};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::postgrest::PgError;
use super::render;
use crate::clock::Clock;
use crate::faults::Faults;

const DEMO_THEME: &str = include_str!("../../specs/examples/motiondynamic/demo_theme.json");

/// Themes served besides the public demo theme.
const EXTRA_THEMES: &str = r#"[
  {
    "theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50",
    "title": "Social teaser",
    "description": "A short vertical or square teaser with a headline",
    "parameters": [
      {"theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50", "type": "text",
       "parameter": {"parameterType_id": "0f5e1c7a-2b3d-4e5f-8a9b-1c2d3e4f5a6b", "theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50",
                     "createdAt": "2019-02-11T10:00:00+00:00", "title": "Headline", "layer": "headline",
                     "minLength": 1, "maxLength": 30, "pattern": null}},
      {"theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50", "type": "color",
       "parameter": {"parameterType_id": "1a6f2d8b-3c4e-4f60-9b0c-2d3e4f5a6b7c", "theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50",
                     "createdAt": "2019-02-11T10:00:00+00:00", "title": "Accent colour", "layer": "accent_color", "defaultColor": "FFCC00"}},
      {"theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50", "type": "output",
       "parameter": {"parameterType_id": "2b7a3e9c-4d5f-4071-8c1d-3e4f5a6b7c8d", "theme_id": "5a3e6f10-7c1b-4d2e-9f3a-0b1c2d3e4f50",
                     "createdAt": "2019-02-11T10:00:00+00:00", "title": "Format", "layers": ["SQUARE", "STORY"]}}
    ]
  },
  {
    "theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5",
    "title": "Photo slideshow",
    "description": "A photo with a caption",
    "parameters": [
      {"theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5", "type": "picture",
       "parameter": {"parameterType_id": "3c8b4fa0-5e60-4182-9d2e-4f5a6b7c8d9e", "theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5",
                     "createdAt": "2019-03-01T08:30:00+00:00", "title": "Photo", "layer": "photo_01",
                     "fileToReplace": "photo_01.jpg", "fitToCompWidth": false, "minWidth": 800, "minHeight": 600, "accept": ["png", "jpg"]}},
      {"theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5", "type": "text",
       "parameter": {"parameterType_id": "4d9c50b1-6f71-4293-8e3f-5a6b7c8d9eaf", "theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5",
                     "createdAt": "2019-03-01T08:30:00+00:00", "title": "Caption", "layer": "caption",
                     "minLength": 0, "maxLength": 40, "pattern": null}},
      {"theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5", "type": "output",
       "parameter": {"parameterType_id": "5ea061c2-7082-43a4-9f40-6b7c8d9eafb0", "theme_id": "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5",
                     "createdAt": "2019-03-01T08:30:00+00:00", "title": "Variante", "layers": ["MASTER"]}}
    ]
  }
]"#;

/// One webhook delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Generation delivered.
    pub generation_id: String,
    /// Status the receiver answered, or `None` when it could not be reached.
    pub status: Option<u16>,
}

/// Counters for tests and `/sandbox/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests to `/rest` and `/graphql`, allowed or not.
    pub requests: AtomicU64,
    /// Requests answered 429 by the rate limiter.
    pub rate_limited: AtomicU64,
    /// Generations accepted.
    pub generations: AtomicU64,
    /// Generations accepted but discarded for invalid values.
    pub discarded: AtomicU64,
    /// Renders finished.
    pub rendered: AtomicU64,
    /// Webhook delivery attempts.
    pub webhook_attempts: AtomicU64,
    /// Webhook deliveries acknowledged with 200.
    pub webhook_acknowledged: AtomicU64,
    /// `POST /rest/generations` requests that reached the table (past the
    /// rate limit, the JWT and injected faults), created or not.
    pub generation_posts: AtomicU64,
    /// Requests refused with `42501` because the role may not read
    /// generations (`--postgrest-mode plain`).
    pub permission_denied: AtomicU64,
}

impl Stats {
    /// The counters as JSON.
    pub fn to_json(&self) -> Value {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        serde_json::json!({
            "requests": get(&self.requests),
            "rate_limited": get(&self.rate_limited),
            "generations": get(&self.generations),
            "discarded": get(&self.discarded),
            "rendered": get(&self.rendered),
            "webhook_attempts": get(&self.webhook_attempts),
            "webhook_acknowledged": get(&self.webhook_acknowledged),
            "generation_posts": get(&self.generation_posts),
            "permission_denied": get(&self.permission_denied),
        })
    }
}

#[derive(Debug, Clone)]
struct Record {
    row: Generation,
    discard_reason: Option<String>,
}

/// Everything the MotionDynamic emulator knows.
#[derive(Debug)]
pub struct Store {
    themes: Vec<Theme>,
    theme_rows: Vec<Map<String, Value>>,
    parameter_rows: Vec<Map<String, Value>>,
    generations: Mutex<Vec<Record>>,
    videos: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    deliveries: Mutex<Vec<Delivery>>,
    renders_started: AtomicU64,
    /// Counters.
    pub stats: Stats,
    base_url: String,
    clock: Clock,
    cold_start: bool,
    faults: Arc<Faults>,
    http: reqwest::Client,
    shutdown: CancellationToken,
}

/// Columns a client may send in a generation.
const WRITABLE: &[&str] = &["generation_id", "theme_id", "webhook", "values"];

fn not_null(column: &str) -> PgError {
    PgError::new(
        StatusCode::BAD_REQUEST,
        "23502",
        format!(
            "null value in column \"{column}\" of relation \"generations\" violates not-null constraint"
        ),
    )
}

fn bad_uuid(text: &str) -> PgError {
    PgError::new(
        StatusCode::BAD_REQUEST,
        "22P02",
        format!("invalid input syntax for type uuid: \"{text}\""),
    )
}

fn to_row<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn now_rfc3339() -> String {
    let millis = Clock::epoch_millis();
    httpdate_to_rfc3339(millis)
}

/// Milliseconds since the epoch as an RFC 3339 UTC timestamp.
fn httpdate_to_rfc3339(millis: u64) -> String {
    let secs = millis / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{d:02}T{h:02}:{m:02}:{s:02}.{:03}+00:00",
        millis % 1000
    )
}

impl Store {
    /// The store, serving downloads under `base_url`.
    pub fn new(
        base_url: &str,
        clock: Clock,
        cold_start: bool,
        faults: Arc<Faults>,
        shutdown: CancellationToken,
    ) -> Self {
        let mut themes: Vec<Theme> = Vec::new();
        if let Ok(demo) = serde_json::from_str(DEMO_THEME) {
            themes.push(demo);
        }
        if let Ok(extra) = serde_json::from_str::<Vec<Theme>>(EXTRA_THEMES) {
            themes.extend(extra);
        }
        let theme_rows = themes.iter().map(to_row).collect();
        let parameter_rows = themes
            .iter()
            .flat_map(|t| t.parameters.iter().flatten())
            .map(to_row)
            .collect();
        Store {
            themes,
            theme_rows,
            parameter_rows,
            generations: Mutex::new(Vec::new()),
            videos: Mutex::new(HashMap::new()),
            deliveries: Mutex::new(Vec::new()),
            renders_started: AtomicU64::new(0),
            stats: Stats::default(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            clock,
            cold_start,
            faults,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            shutdown,
        }
    }

    /// Every theme.
    pub fn themes(&self) -> &[Theme] {
        &self.themes
    }

    /// Rows of a table for PostgREST queries.
    pub fn table(&self, name: &str) -> Option<Vec<Map<String, Value>>> {
        match name {
            "themes" => Some(self.theme_rows.clone()),
            "parameters" => Some(self.parameter_rows.clone()),
            "generations" => Some(
                self.generations
                    .lock()
                    .map(|g| g.iter().map(|r| to_row(&r.row)).collect())
                    .unwrap_or_default(),
            ),
            _ => None,
        }
    }

    /// A theme by id, ignoring case.
    pub fn theme(&self, id: &str) -> Option<&Theme> {
        self.themes
            .iter()
            .find(|t| t.theme_id.eq_ignore_ascii_case(id))
    }

    /// Every generation row.
    pub fn generations(&self) -> Vec<Generation> {
        self.generations
            .lock()
            .map(|g| g.iter().map(|r| r.row.clone()).collect())
            .unwrap_or_default()
    }

    /// One generation by id, ignoring case.
    pub fn generation(&self, id: &str) -> Option<Generation> {
        self.generations.lock().ok().and_then(|g| {
            g.iter()
                .find(|r| r.row.generation_id.eq_ignore_ascii_case(id))
                .map(|r| r.row.clone())
        })
    }

    /// Why a generation was discarded, if it was.
    pub fn discard_reason(&self, id: &str) -> Option<String> {
        self.generations.lock().ok().and_then(|g| {
            g.iter()
                .find(|r| r.row.generation_id.eq_ignore_ascii_case(id))
                .and_then(|r| r.discard_reason.clone())
        })
    }

    /// Every webhook delivery attempt so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default()
    }

    /// A rendered video by file name (`<generation id>.mp4`).
    pub fn video(&self, file: &str) -> Option<Arc<Vec<u8>>> {
        self.videos.lock().ok().and_then(|v| v.get(file).cloned())
    }

    /// Inserts a generation from a request body, as `POST /rest/generations`
    /// and `createGeneration` do. Invalid values are accepted but discarded:
    /// never rendered, no webhook; the reason is returned and logged.
    pub async fn create(
        self: &Arc<Self>,
        body: &Value,
    ) -> Result<(Generation, Option<String>), PgError> {
        let Value::Object(body) = body else {
            return Err(PgError::new(
                StatusCode::BAD_REQUEST,
                "PGRST102",
                "Empty or invalid json",
            ));
        };
        if let Some(unknown) = body.keys().find(|k| !WRITABLE.contains(&k.as_str())) {
            return Err(PgError::new(
                StatusCode::BAD_REQUEST,
                "PGRST204",
                format!(
                    "Could not find the '{unknown}' column of 'generations' in the schema cache"
                ),
            ));
        }
        let theme_id = match body.get("theme_id") {
            None | Some(Value::Null) => return Err(not_null("theme_id")),
            Some(Value::String(s)) => s.clone(),
            Some(other) => return Err(bad_uuid(&other.to_string())),
        };
        if uuid::Uuid::parse_str(&theme_id).is_err() {
            return Err(bad_uuid(&theme_id));
        }
        let webhook = match body.get("webhook") {
            None | Some(Value::Null) => return Err(not_null("webhook")),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let values = match body.get("values") {
            None | Some(Value::Null) => return Err(not_null("values")),
            Some(v) => v.clone(),
        };
        let generation_id = match body.get("generation_id") {
            Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => s.to_lowercase(),
            Some(Value::String(s)) => return Err(bad_uuid(s)),
            _ => uuid::Uuid::new_v4().to_string(),
        };
        let Some(theme) = self.theme(&theme_id).cloned() else {
            return Err(PgError::new(
                StatusCode::CONFLICT,
                "23503",
                "insert or update on table \"generations\" violates foreign key constraint \"generations_theme_id_fkey\"",
            )
            .details(format!(
                "Key (theme_id)=({}) is not present in table \"themes\".",
                theme_id.to_lowercase()
            )));
        };
        if self.generation(&generation_id).is_some() {
            return Err(PgError::new(
                StatusCode::CONFLICT,
                "23505",
                "duplicate key value violates unique constraint \"generations_pkey\"",
            ));
        }

        let (typed_values, reason) = self.check_values(&theme, &values).await;
        let row = Generation {
            generation_id: generation_id.clone(),
            theme_id: Some(theme.theme_id.clone()),
            webhook: Some(webhook),
            values: typed_values,
            status: Some(if reason.is_some() {
                GenerationStatus::Discarded
            } else {
                GenerationStatus::Pending
            }),
            video: Some(None),
            created_at: Some(now_rfc3339()),
        };
        if let Ok(mut generations) = self.generations.lock() {
            generations.push(Record {
                row: row.clone(),
                discard_reason: reason.clone(),
            });
        }
        self.stats.generations.fetch_add(1, Ordering::Relaxed);
        match &reason {
            Some(why) => {
                self.stats.discarded.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(generation = %generation_id, reason = %why, "generation discarded: invalid inputs");
            }
            None => {
                let store = self.clone();
                let id = generation_id.clone();
                tokio::spawn(async move { store.render(id).await });
            }
        }
        Ok((row, reason))
    }

    async fn check_values(
        &self,
        theme: &Theme,
        values: &Value,
    ) -> (Option<Vec<GenerationValue>>, Option<String>) {
        let parsed: Result<Vec<GenerationValue>, _> = serde_json::from_value(values.clone());
        let Ok(parsed) = parsed else {
            return (
                None,
                Some("values must be a list of {\"value\": string, \"parameter_id\": uuid}".into()),
            );
        };
        let (mut problems, pictures) = super::rules::check_offline(theme, &parsed);
        for picture in &pictures {
            if let Err(why) = self.check_local_picture(picture).await {
                problems.push(why);
            }
        }
        let reason = (!problems.is_empty()).then(|| problems.join("; "));
        (Some(parsed), reason)
    }

    /// Pictures on this machine are fetched and checked like the real
    /// service would; the sandbox has no network, so remote pictures are
    /// taken on trust.
    async fn check_local_picture(
        &self,
        picture: &super::rules::PictureValue,
    ) -> Result<(), String> {
        let layer = &picture.layer;
        let Ok(parsed) = url::Url::parse(&picture.url) else {
            return Err(format!("`{layer}`: {:?} is not a URL", picture.url));
        };
        let local = matches!(
            parsed.host_str(),
            Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
        );
        if !local {
            return Ok(());
        }
        let response = self
            .http
            .get(parsed)
            .header("Range", "bytes=0-65535")
            .send()
            .await
            .map_err(|e| format!("`{layer}`: picture is not downloadable: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "`{layer}`: picture is not downloadable: HTTP {}",
                response.status()
            ));
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("`{layer}`: picture download failed: {e}"))?;
        super::rules::check_picture_bytes(picture, &bytes)
    }

    /// Simulated render time: with a cold start, the first render takes up
    /// to 18 minutes and the next up to 7; otherwise at most one minute.
    fn render_seconds(&self) -> f64 {
        use motionkit_models::motiondynamic::{
            GENERATION_COLD_START_FIRST_MAX_SECONDS as FIRST,
            GENERATION_COLD_START_SECOND_MAX_SECONDS as SECOND,
            GENERATION_USUAL_MAX_SECONDS as USUAL,
        };
        let nth = self.renders_started.fetch_add(1, Ordering::Relaxed);
        let max = match (self.cold_start, nth) {
            (true, 0) => FIRST,
            (true, 1) => SECOND,
            _ => USUAL,
        } as f64;
        max * (0.5 + 0.5 * self.faults.draw())
    }

    fn set_status(&self, id: &str, status: GenerationStatus, video: Option<String>) {
        if let Ok(mut generations) = self.generations.lock()
            && let Some(record) = generations.iter_mut().find(|r| r.row.generation_id == id)
        {
            record.row.status = Some(status);
            if video.is_some() {
                record.row.video = Some(video);
            }
        }
    }

    async fn sleep(&self, simulated: f64) -> bool {
        tokio::select! {
            () = tokio::time::sleep(self.clock.real(simulated)) => true,
            () = self.shutdown.cancelled() => false,
        }
    }

    async fn render(self: Arc<Self>, id: String) {
        let total = self.render_seconds();
        if !self.sleep(total * 0.1).await {
            return;
        }
        self.set_status(&id, GenerationStatus::Rendering, None);
        if !self.sleep(total * 0.9).await {
            return;
        }
        let bytes = match render::mp4(&id, 640, 360, 25, 2) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(generation = %id, error = %e, "render failed");
                return;
            }
        };
        let file = format!("{id}.mp4");
        if let Ok(mut videos) = self.videos.lock() {
            videos.insert(file.clone(), Arc::new(bytes));
        }
        let url = format!("{}/videos/{file}", self.base_url);
        self.set_status(&id, GenerationStatus::Done, Some(url.clone()));
        self.stats.rendered.fetch_add(1, Ordering::Relaxed);
        let webhook = self
            .generation(&id)
            .and_then(|g| g.webhook)
            .unwrap_or_default();
        self.deliver(&id, &webhook, &url).await;
    }

    /// POSTs `{"video": url}` every 5 s (scaled) for 1 h (scaled) until a 200.
    async fn deliver(&self, id: &str, webhook: &str, video: &str) {
        let started = self.clock.now();
        let body = serde_json::json!({ "video": video });
        loop {
            self.stats.webhook_attempts.fetch_add(1, Ordering::Relaxed);
            let status = self
                .http
                .post(webhook)
                .json(&body)
                .send()
                .await
                .ok()
                .map(|r| r.status().as_u16());
            if let Ok(mut deliveries) = self.deliveries.lock() {
                deliveries.push(Delivery {
                    generation_id: id.to_owned(),
                    status,
                });
            }
            if status == Some(200) {
                self.stats
                    .webhook_acknowledged
                    .fetch_add(1, Ordering::Relaxed);
                return;
            }
            let elapsed = self.clock.now() - started;
            if elapsed + WEBHOOK_RETRY_INTERVAL_SECONDS as f64 > WEBHOOK_RETRY_WINDOW_SECONDS as f64
            {
                tracing::warn!(generation = %id, "webhook never acknowledged; event discarded");
                return;
            }
            if !self.sleep(WEBHOOK_RETRY_INTERVAL_SECONDS as f64).await {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(cold_start: bool) -> Store {
        Store::new(
            "http://127.0.0.1:1",
            Clock::new(1.0),
            cold_start,
            Arc::new(Faults::default()),
            CancellationToken::new(),
        )
    }

    #[test]
    fn cold_start_renders_take_up_to_18_then_7_then_1_minute() {
        let cold = store(true);
        let delays: Vec<f64> = (0..4).map(|_| cold.render_seconds()).collect();
        assert!((540.0..=1080.0).contains(&delays[0]), "{delays:?}");
        assert!((210.0..=420.0).contains(&delays[1]), "{delays:?}");
        assert!(
            delays[2..].iter().all(|d| (30.0..=60.0).contains(d)),
            "{delays:?}"
        );
        let warm = store(false);
        assert!((30.0..=60.0).contains(&warm.render_seconds()));
    }

    #[test]
    fn serves_the_demo_theme_and_more() {
        let store = store(false);
        assert!(store.themes().len() >= 3);
        assert!(
            store
                .theme("8239DE5C-5CBD-4E39-A102-220E5354A551")
                .is_some()
        );
        assert_eq!(store.table("parameters").unwrap().len(), 17);
        assert!(store.table("nope").is_none());
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(httpdate_to_rfc3339(0), "1970-01-01T00:00:00.000+00:00");
        assert_eq!(
            httpdate_to_rfc3339(1_596_461_786_123),
            "2020-08-03T13:36:26.123+00:00"
        );
    }
}
