//! `job.completed` events.
//!
//! When a job reaches `SUCCESS` or `FAILURE` on the scaled clock, every
//! endpoint registered for `job.completed` at that moment receives
//! `{"eventType":"job.completed","data":{"taskId":rid,"status":"success"|"failure"}}`
//! as a JSON `POST` with `X-DeepMotion-Signature: <client id>`. A delivery
//! that does not get a 2xx is retried after 2, 4, 8... simulated seconds
//! (at most 10 simulated minutes apart) until one simulated hour has
//! passed. The job is marked notified once every delivery has ended, so a
//! sandbox stopped before that sends the event again after a restart
//! (at-least-once, as webhook receivers must expect).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use motionkit_models::deepmotion::{
    SIGNATURE_HEADER, WEBHOOK_EVENTS, WebhookEvent, WebhookEventData, WebhookEventType,
};
use tokio::time::Instant;

use super::Inner;
use super::store::Job;

/// Simulated seconds a delivery keeps being retried.
const RETRY_WINDOW_SECS: f64 = 3600.0;
/// First retry delay, simulated seconds.
const FIRST_RETRY_SECS: f64 = 2.0;
/// Longest retry delay, simulated seconds.
const MAX_RETRY_SECS: f64 = 600.0;

/// Waits for `job` to end, then sends its event.
pub(super) fn schedule(inner: Arc<Inner>, job: &Job) {
    let rid = job.rid.clone();
    let success = job.failure_code.is_none();
    let remaining = (job.sim_total - inner.simulated_since(job.ctime)).max(0.0);
    let wait = inner.real(remaining);
    tokio::spawn(async move {
        tokio::select! {
            () = inner.shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        if notify(&inner, &rid, success).await {
            inner.store.mark_notified(&rid);
        }
    });
}

/// Sends the event to every subscribed endpoint; false when interrupted by
/// shutdown.
async fn notify(inner: &Arc<Inner>, rid: &str, success: bool) -> bool {
    let event = WebhookEvent {
        event_type: WebhookEventType::JobCompleted,
        data: WebhookEventData {
            task_id: rid.to_owned(),
            status: Some(if success { "success" } else { "failure" }.to_owned()),
        },
    };
    let targets: Vec<String> = inner
        .store
        .webhooks()
        .into_iter()
        .filter(|hook| hook.events.iter().any(|e| e == WEBHOOK_EVENTS[0]))
        .map(|hook| hook.url)
        .collect();
    let deliveries = targets.iter().map(|url| deliver(inner, url, &event));
    futures::future::join_all(deliveries)
        .await
        .into_iter()
        .all(|finished| finished)
}

/// Delivers one event with retries; false when interrupted by shutdown.
async fn deliver(inner: &Arc<Inner>, url: &str, event: &WebhookEvent) -> bool {
    let started = Instant::now();
    let window = inner.real(RETRY_WINDOW_SECS);
    let mut delay = FIRST_RETRY_SECS;
    loop {
        inner
            .counters
            .webhook_attempts
            .fetch_add(1, Ordering::Relaxed);
        let sent = inner
            .http
            .post(url)
            .header(SIGNATURE_HEADER, &inner.config.args.client_id)
            .json(event)
            .send();
        let outcome = tokio::select! {
            () = inner.shutdown.cancelled() => return false,
            outcome = sent => outcome,
        };
        match outcome {
            Ok(response) if response.status().is_success() => {
                inner
                    .counters
                    .webhook_deliveries
                    .fetch_add(1, Ordering::Relaxed);
                return true;
            }
            Ok(response) => {
                tracing::info!(url, status = response.status().as_u16(), "webhook refused");
            }
            Err(e) => tracing::info!(url, error = %e, "webhook not delivered"),
        }
        let elapsed = started.elapsed();
        if elapsed >= window {
            tracing::warn!(url, rid = %event.data.task_id, "webhook given up");
            return true;
        }
        let wait = inner
            .real(delay)
            .min(window - elapsed)
            .max(Duration::from_millis(1));
        tokio::select! {
            () = inner.shutdown.cancelled() => return false,
            () = tokio::time::sleep(wait) => {}
        }
        delay = (delay * 2.0).min(MAX_RETRY_SECS);
    }
}
