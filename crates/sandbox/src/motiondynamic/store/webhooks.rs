//! Webhook delivery of a finished video.

use std::sync::atomic::Ordering;

use motionkit_models::motiondynamic::{
    WEBHOOK_RETRY_INTERVAL_SECONDS, WEBHOOK_RETRY_WINDOW_SECONDS,
};

use super::{MotionDynamicStore, WebhookDelivery};

impl MotionDynamicStore {
    /// POSTs `{"video": url}` every 5 s (scaled) for 1 h (scaled) until a 200.
    pub(super) async fn deliver(&self, id: &str, webhook: &str, video: &str) {
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
                deliveries.push(WebhookDelivery {
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
