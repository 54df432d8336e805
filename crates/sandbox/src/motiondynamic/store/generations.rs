//! Generations: created from a request body, their values checked (as
//! the real service would, discarding what it cannot render), then
//! rendered on the scaled clock.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use motionkit_models::motiondynamic::{Generation, GenerationStatus, GenerationValue, Theme};
use serde_json::Value;

use super::{MotionDynamicStore, Record};
use crate::clock::Clock;
use crate::motiondynamic::postgrest::PgError;
use crate::motiondynamic::{render, rules};

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

impl MotionDynamicStore {
    /// Inserts a generation from a request body, as `POST /rest/generations`
    /// and `createGeneration` do. Invalid values are accepted but discarded:
    /// never rendered, no webhook; the reason is returned and logged.
    pub(crate) async fn create(
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
        let (mut problems, pictures) = rules::check_offline(theme, &parsed);
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
    async fn check_local_picture(&self, picture: &rules::PictureValue) -> Result<(), String> {
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
        rules::check_picture_bytes(picture, &bytes)
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
            Ok(bytes) => render::padded(bytes, self.video_min_bytes),
            Err(e) => {
                tracing::error!(generation = %id, error = %e, "render failed");
                return;
            }
        };
        let file = format!("{id}.mp4");
        if let Ok(mut videos) = self.videos.lock() {
            videos.insert(file.clone(), bytes::Bytes::from(bytes));
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
}

#[cfg(test)]
mod tests {
    use super::super::tests::store;
    use super::*;

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
    fn timestamps_are_rfc3339() {
        assert_eq!(httpdate_to_rfc3339(0), "1970-01-01T00:00:00.000+00:00");
        assert_eq!(
            httpdate_to_rfc3339(1_596_461_786_123),
            "2020-08-03T13:36:26.123+00:00"
        );
    }
}
