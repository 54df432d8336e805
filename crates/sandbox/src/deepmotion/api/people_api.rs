//! The multi-person parts of `/process` and `/download` (see
//! `deepmotion/people.rs` for the sandbox's reading of the official SDK).

use super::*;
use crate::deepmotion::people::{self, PersonModel};
use motionkit_models::deepmotion::ErrorCode;

/// The people an animation job (`rid_mp_detection`) animates, and the
/// detection's input.
#[derive(Debug)]
pub(super) struct Chosen {
    /// The detection job's input object.
    pub input: Object,
    /// `models=`, checked against the detection.
    pub people: Vec<PersonModel>,
}

/// Reads and checks an animation job's `rid_mp_detection` and `models`;
/// `None` for any other job. Refused with 400 (404 for an unknown
/// detection): `url` or `rid` given too, a job that is not a successful
/// detection, a missing or malformed `models`, or a tracking id the
/// detection did not produce.
pub(super) fn people_to_animate(
    inner: &Inner,
    map: &Map<String, Value>,
    detection: Option<&str>,
    params: &[String],
) -> Result<Option<Chosen>, ApiError> {
    let Some(detection) = detection else {
        return Ok(None);
    };
    let bad = |message: String| fail(StatusCode::BAD_REQUEST, message);
    if field_str(map, "url").is_some() || field_str(map, "rid").is_some() {
        return Err(bad(
            "give one of `url`, `rid` and `rid_mp_detection`, not several".into(),
        ));
    }
    let Some(job) = inner.store.job(detection) else {
        return Err(fail(
            StatusCode::NOT_FOUND,
            format!("no job {detection} (rid_mp_detection)"),
        ));
    };
    if !people::is_detection(&job.params) {
        return Err(bad(format!(
            "job {detection} is not a multi-person detection (pipeline=mp_detection)"
        )));
    }
    let (phase, _) = jobs::phase(&job, inner.simulated_since(job.ctime));
    if phase != Phase::Success {
        return Err(bad(format!(
            "detection {detection} has not succeeded; animate its people once it has"
        )));
    }
    let chosen = match people::models(params) {
        Ok(Some(chosen)) => chosen,
        Ok(None) => {
            return Err(bad("`models` is required with rid_mp_detection: \
                 models=[{\"trackingId\": \"001\", \"modelId\": \"<model id>\"}]"
                .into()));
        }
        Err(problem) => return Err(bad(problem)),
    };
    let found = people::detected(&job);
    if let Some(stranger) = chosen.iter().find(|p| !found.contains(&p.tracking_id)) {
        return Err(bad(format!(
            "tracking id {:?} was not produced by detection {detection}, which found {}",
            stranger.tracking_id,
            found.join(", ")
        )));
    }
    let Some(input) = inner.store.object(&job.input_key) else {
        return Err(fail(StatusCode::NOT_FOUND, "the detection's input is gone"));
    };
    Ok(Some(Chosen {
        input,
        people: chosen,
    }))
}

/// Gives a planned detection or animation its outputs; a model id that
/// names no model fails the animation with 504, as `model=` does.
pub(super) fn plan_people(
    inner: &Inner,
    plan: &mut jobs::Plan,
    input: &Object,
    chosen: Option<Vec<PersonModel>>,
) {
    if plan.job.failure_code.is_some() {
        return;
    }
    let stem = jobs::stem(&plan.job.file_name);
    match chosen {
        Some(chosen) => {
            if let Some(missing) = chosen
                .iter()
                .find(|p| inner.model_kind(&p.model_id) == ModelKind::Missing)
            {
                let detail = format!("no character model {}", missing.model_id);
                jobs::fail_with(plan, ErrorCode::Code504, detail);
                return;
            }
            let formats: Vec<String> = plan.job.outputs.iter().map(|o| o.format.clone()).collect();
            plan.job.outputs = people::animation_outputs(&plan.job.rid, &stem, &formats, &chosen);
        }
        None if people::is_detection(&plan.job.params) => {
            let found = people::people_in(&input.name);
            plan.job.outputs = people::detection_outputs(&plan.job.rid, &stem, found);
        }
        None => {}
    }
}

/// `mode` and `models` of a successful job's download link: 1 and the
/// people for an animation, 1 for a detection, 0 otherwise.
pub(super) fn download_mode(job: &Job) -> (Option<i64>, Option<Vec<Value>>) {
    if let Ok(Some(chosen)) = people::models(&job.params) {
        let models = chosen
            .iter()
            .filter_map(|p| serde_json::to_value(p).ok())
            .collect();
        return (Some(1), Some(models));
    }
    (Some(i64::from(people::is_detection(&job.params))), None)
}
