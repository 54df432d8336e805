//! Everything the MotionDynamic emulator knows, in memory: themes,
//! generations, rendered videos, webhook deliveries and counters.
//!
//! By resource: `themes` (the served themes), `generations` (creation,
//! value checks and the simulated render) and `webhooks` (delivery of the
//! finished video). This module holds the state and its readers.

mod generations;
mod themes;
mod webhooks;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use motionkit_models::motiondynamic::{Generation, Theme};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::faults::Faults;

/// One attempt of the MotionDynamic emulator to deliver a finished video
/// to a generation's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// Generation delivered.
    pub generation_id: String,
    /// Status the receiver answered, or `None` when it could not be reached.
    pub status: Option<u16>,
}

/// The MotionDynamic emulator's counters, for tests and `GET /sandbox/stats`.
#[derive(Debug, Default)]
pub struct MotionDynamicStats {
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

impl MotionDynamicStats {
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
pub struct MotionDynamicStore {
    themes: Vec<Theme>,
    theme_rows: Vec<Map<String, Value>>,
    parameter_rows: Vec<Map<String, Value>>,
    generations: Mutex<Vec<Record>>,
    videos: Mutex<HashMap<String, bytes::Bytes>>,
    deliveries: Mutex<Vec<WebhookDelivery>>,
    renders_started: AtomicU64,
    /// Counters.
    pub stats: MotionDynamicStats,
    base_url: String,
    clock: Clock,
    cold_start: bool,
    video_min_bytes: u64,
    faults: Arc<Faults>,
    http: reqwest::Client,
    shutdown: CancellationToken,
}

fn to_row<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

impl MotionDynamicStore {
    /// The store, serving downloads under `base_url`.
    pub(crate) fn new(
        base_url: &str,
        clock: Clock,
        cold_start: bool,
        video_min_bytes: u64,
        faults: Arc<Faults>,
        shutdown: CancellationToken,
    ) -> Self {
        let themes = themes::served();
        let theme_rows = themes.iter().map(to_row).collect();
        let parameter_rows = themes
            .iter()
            .flat_map(|t| t.parameters.iter().flatten())
            .map(to_row)
            .collect();
        MotionDynamicStore {
            themes,
            theme_rows,
            parameter_rows,
            generations: Mutex::new(Vec::new()),
            videos: Mutex::new(HashMap::new()),
            deliveries: Mutex::new(Vec::new()),
            renders_started: AtomicU64::new(0),
            stats: MotionDynamicStats::default(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            clock,
            cold_start,
            video_min_bytes,
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
    pub(crate) fn table(&self, name: &str) -> Option<Vec<Map<String, Value>>> {
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
    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.deliveries
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default()
    }

    /// A rendered video by file name (`<generation id>.mp4`).
    pub(crate) fn video(&self, file: &str) -> Option<bytes::Bytes> {
        self.videos.lock().ok().and_then(|v| v.get(file).cloned())
    }

    /// Sleeps `simulated` seconds on the scaled clock; false when the
    /// sandbox shuts down first.
    async fn sleep(&self, simulated: f64) -> bool {
        tokio::select! {
            () = tokio::time::sleep(self.clock.real(simulated)) => true,
            () = self.shutdown.cancelled() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn store(cold_start: bool) -> MotionDynamicStore {
        MotionDynamicStore::new(
            "http://127.0.0.1:1",
            Clock::new(1.0),
            cold_start,
            0,
            Arc::new(Faults::default()),
            CancellationToken::new(),
        )
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
}
