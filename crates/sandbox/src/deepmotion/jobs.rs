//! Jobs: what a submission will do, decided once at `POST /process`, and
//! where it stands at any moment on the scaled clock.
//!
//! A job's outcome, duration and outputs are fixed when it is submitted and
//! stored with its creation time (Unix milliseconds), so a restarted
//! sandbox shows the same job at the same point of its life. The job shows
//! `PROGRESS` (step 0 to 99 of 100) until `sim_total` simulated seconds
//! have passed, then `SUCCESS` or `FAILURE`.
//!
//! Failures, checked in this order, as the real pipeline would meet them:
//!
//! 1. 201: the input was never uploaded (or not completely).
//! 2. 202: the input is not a video (MP4/MOV/WebM/AVI) or a PNG/JPEG
//!    picture, or its container cannot be read.
//! 3. 503: the parameters break what the document states (see
//!    [`super::params`]: png/jpg only for pictures, `trim` only for videos
//!    and within the duration, ranges...). Parameters it does not name are
//!    ignored.
//! 4. 504: `model=` names no stock or stored model.
//! 5. 505: `sim=1` with a custom (uploaded) model.
//! 6. Any documented code named in the input file name as `fail-<code>`
//!    (`clip-fail-513.mp4` fails with 513).

use super::media::{Probe, frames};
use super::params::{self, Input, JobParams};
use super::store::{Job, Object, Output};
use motionkit_models::deepmotion::ErrorCode;

/// Steps a job goes through while in `PROGRESS`.
pub(super) const TOTAL_STEPS: u32 = 100;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Phase {
    /// Still running.
    Progress {
        /// Current step.
        step: u32,
    },
    /// Done.
    Success,
    /// Failed.
    Failure,
}

/// The phase of `job` after `elapsed` simulated seconds, and the simulated
/// second of its last change.
pub(super) fn phase(job: &Job, elapsed: f64) -> (Phase, f64) {
    if elapsed >= job.sim_total {
        let phase = if job.failure_code.is_some() {
            Phase::Failure
        } else {
            Phase::Success
        };
        return (phase, job.sim_total);
    }
    let fraction = (elapsed / job.sim_total).clamp(0.0, 1.0);
    let step = ((fraction * f64::from(TOTAL_STEPS)) as u32).min(TOTAL_STEPS - 1);
    let changed = f64::from(step) / f64::from(TOTAL_STEPS) * job.sim_total;
    (Phase::Progress { step }, changed)
}

/// The file name without its extension.
pub(super) fn stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
        _ => base.to_owned(),
    }
    .chars()
    .map(|c| {
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
            c
        } else {
            '_'
        }
    })
    .collect()
}

/// The documented code named as `fail-<code>` in a file name.
fn requested_failure(name: &str) -> Option<ErrorCode> {
    let lower = name.to_ascii_lowercase();
    lower.match_indices("fail-").find_map(|(at, _)| {
        let digits: String = lower[at + 5..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok().and_then(ErrorCode::from_code)
    })
}

/// What a model id refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ModelKind {
    /// No such model.
    Missing,
    /// A stock model.
    Stock,
    /// An uploaded model.
    Custom,
}

/// Everything needed to plan a job.
pub(super) struct Submission<'a> {
    /// Request id.
    pub rid: String,
    /// The input object.
    pub input: &'a Object,
    /// What the input is, when it was uploaded.
    pub probe: Option<Probe>,
    /// `params` as sent.
    pub params: Vec<String>,
    /// Looks up `model=`.
    pub model: &'a dyn Fn(&str) -> ModelKind,
    /// Submission time.
    pub now: u64,
}

impl std::fmt::Debug for Submission<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Submission")
            .field("rid", &self.rid)
            .field("input", &self.input)
            .field("probe", &self.probe)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// A planned job and the outputs to generate for it.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// The job, `seq` not yet assigned.
    pub job: Job,
    /// BVH frames.
    pub frames: u64,
    /// Frame rate of the outputs.
    pub fps: f64,
    /// How the video and picture outputs look.
    pub render: super::outputs::Render,
}

fn failure(code: ErrorCode, detail: Option<String>) -> (u32, String) {
    let message = match detail {
        Some(detail) => format!("{}: {} ({detail})", code.code(), code.message()),
        None => format!("{}: {}", code.code(), code.message()),
    };
    (code.code(), message)
}

/// Turns a planned success into a failure with `code`, as a failure found
/// at planning would have been planned.
pub(super) fn fail_with(plan: &mut Plan, code: ErrorCode, detail: String) {
    let (code, message) = failure(code, Some(detail));
    plan.job.failure_code = Some(code);
    plan.job.failure_message = Some(message);
    plan.job.outputs.clear();
    plan.job.sim_total *= 0.6;
}

/// Simulated seconds a successful job of this many seconds takes.
fn processing_time(duration: Option<f64>) -> f64 {
    match duration {
        Some(seconds) => 20.0 + 4.0 * seconds,
        None => 15.0,
    }
}

/// Decides what a submission will do.
pub(super) fn plan(sub: Submission<'_>) -> Plan {
    let (kind, duration, fps) = match &sub.probe {
        Some(Probe::Video(meta)) => (
            Some(Input::Video(meta.duration)),
            Some(meta.duration),
            meta.fps,
        ),
        Some(Probe::Image { .. }) => (Some(Input::Picture), None, 30.0),
        _ => (None, None, 30.0),
    };
    let mut fail: Option<(u32, String)> = None;
    match &sub.probe {
        None => fail = Some(failure(ErrorCode::Code201, None)),
        Some(Probe::BrokenVideo(container, why)) => {
            fail = Some(failure(
                ErrorCode::Code202,
                Some(format!("{}: {why}", container.name())),
            ));
        }
        Some(Probe::Unsupported(why)) => {
            fail = Some(failure(ErrorCode::Code202, Some(why.clone())));
        }
        _ => {}
    }
    let params: Option<JobParams> = match (&fail, kind) {
        (None, Some(kind)) => match params::read(&sub.params, kind) {
            Ok(params) => Some(params),
            Err(problem) => {
                fail = Some(failure(ErrorCode::Code503, Some(problem)));
                None
            }
        },
        _ => None,
    };
    if let (None, Some(params)) = (&fail, &params)
        && let Some(model) = &params.model
    {
        match (sub.model)(model) {
            ModelKind::Missing => {
                fail = Some(failure(
                    ErrorCode::Code504,
                    Some(format!("no character model {model}")),
                ));
            }
            ModelKind::Custom if params.sim => {
                fail = Some(failure(ErrorCode::Code505, None));
            }
            _ => {}
        }
    }
    if fail.is_none()
        && let Some(code) = requested_failure(&sub.input.name)
    {
        fail = Some(failure(code, Some("requested by the file name".into())));
    }
    // The processed stretch of the video.
    let processed = match (&params, duration) {
        (Some(p), Some(d)) => Some(p.trim.map_or(d, |(from, to)| (to - from).clamp(0.0, d))),
        (_, d) => d,
    };
    let credits = match (&sub.probe, processed) {
        (Some(Probe::Video(_)), Some(seconds)) => seconds.ceil().max(1.0),
        (Some(Probe::Image { .. }), _) => 1.0,
        _ => 0.0,
    };
    let success_time = processing_time(processed);
    let sim_total = match fail.as_ref().map(|(code, _)| *code) {
        None => success_time,
        Some(201 | 202) => 3.0,
        Some(503) => 5.0,
        Some(_) => success_time * 0.6,
    };
    let frame_count = match kind {
        Some(Input::Video(_)) => frames(processed.unwrap_or(0.0), fps),
        _ => 1,
    };
    let outputs = match (&fail, &params) {
        (None, Some(params)) => {
            let formats = if params.formats.is_empty() {
                match kind {
                    Some(Input::Picture) => vec!["bvh", "fbx", "png"],
                    _ => vec!["bvh", "fbx", "mp4"],
                }
            } else {
                params.formats.clone()
            };
            let stem = stem(&sub.input.name);
            formats
                .into_iter()
                .map(|format| Output {
                    group: None,
                    format: format.to_owned(),
                    key: format!(
                        "outputs/{}/{}",
                        sub.rid,
                        super::outputs::file_name(format, &stem)
                    ),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let (failure_code, failure_message) = match fail {
        Some((code, message)) => (Some(code), Some(message)),
        None => (None, None),
    };
    Plan {
        job: Job {
            rid: sub.rid,
            seq: 0,
            input_key: sub.input.key.clone(),
            file_name: sub.input.name.clone(),
            file_size: sub.input.size,
            duration,
            fps: matches!(kind, Some(Input::Video(_))).then_some(fps),
            params: sub.params,
            outputs,
            failure_code,
            failure_message,
            ctime: sub.now,
            sim_total,
            credits,
            notified: false,
        },
        frames: frame_count,
        fps,
        render: super::outputs::Render {
            input_size: match &sub.probe {
                Some(Probe::Video(meta)) => Some((meta.width, meta.height)),
                Some(Probe::Image { width, height, .. }) => Some((*width, *height)),
                _ => None,
            },
            background: params.as_ref().and_then(|p| p.background),
            side_by_side: params.as_ref().is_some_and(|p| p.side_by_side),
        },
    }
}

/// A new request id shaped like the document's example,
/// `1234567890-1234567890-1234`.
pub(super) fn new_rid() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    format!(
        "{:010}-{:010}-{:04}",
        super::now_ms() / 1000 % 10_000_000_000,
        rng.random_range(0..10_000_000_000u64),
        rng.random_range(0..10_000u32)
    )
}

#[cfg(test)]
mod tests {
    use super::super::media::{Container, VideoMeta};
    use super::*;

    fn object(name: &str) -> Object {
        Object {
            key: format!("uploads/x/{name}"),
            name: name.into(),
            file: Some("f".into()),
            size: 100,
            complete: true,
            content_type: None,
            etag: None,
            ctime: 0,
            mtime: 0,
        }
    }

    fn video() -> Probe {
        Probe::Video(VideoMeta {
            container: Container::Mp4,
            width: 320,
            height: 240,
            fps: 30.0,
            duration: 2.0,
            codec: "h264".into(),
        })
    }

    fn plan_for(name: &str, probe: Option<Probe>, params: &[&str]) -> Plan {
        let input = object(name);
        let lookup = |id: &str| match id {
            "stock" => ModelKind::Stock,
            "mine" => ModelKind::Custom,
            _ => ModelKind::Missing,
        };
        plan(Submission {
            rid: "r".into(),
            input: &input,
            probe,
            params: params.iter().map(|s| (*s).to_owned()).collect(),
            model: &lookup,
            now: 0,
        })
    }

    #[test]
    fn failures_follow_the_pipeline_order() {
        let code = |p: Plan| p.job.failure_code;
        assert_eq!(code(plan_for("a.mp4", None, &[])), Some(201));
        assert_eq!(
            code(plan_for(
                "a.mp4",
                Some(Probe::Unsupported("text".into())),
                &["sim=2"]
            )),
            Some(202)
        );
        assert_eq!(
            code(plan_for("a-fail-513.mp4", Some(video()), &["sim=2"])),
            Some(503)
        );
        // A parameter the documents do not name is ignored, as servers do.
        assert_eq!(code(plan_for("a.mp4", Some(video()), &["camera=1"])), None);
        assert_eq!(
            code(plan_for("a.mp4", Some(video()), &["formats=png"])),
            Some(503)
        );
        assert_eq!(
            code(plan_for("a.mp4", Some(video()), &["trim=1,9"])),
            Some(503)
        );
        assert_eq!(
            code(plan_for("a.mp4", Some(video()), &["model=nope"])),
            Some(504)
        );
        assert_eq!(
            code(plan_for("a.mp4", Some(video()), &["model=mine", "sim=1"])),
            Some(505)
        );
        assert_eq!(
            code(plan_for("a.mp4", Some(video()), &["model=stock", "sim=1"])),
            None
        );
        assert_eq!(
            code(plan_for("clip-fail-513.mp4", Some(video()), &[])),
            Some(513)
        );
        assert_eq!(
            code(plan_for("clip-fail-4242.mp4", Some(video()), &[])),
            None
        );
        let image = Probe::Image {
            format: crate::still::StillFormat::Png,
            width: 1,
            height: 1,
        };
        assert_eq!(
            code(plan_for("a.png", Some(image.clone()), &["trim=0,1"])),
            Some(503)
        );
        let ok = plan_for("a.png", Some(image), &["formats=bvh,png"]);
        assert_eq!(ok.job.failure_code, None);
        assert_eq!(ok.job.credits, 1.0);
    }

    #[test]
    fn outputs_frames_and_credits() {
        let p = plan_for("My Walk.mp4", Some(video()), &["formats=bvh,fbx,dmpe"]);
        let keys: Vec<&str> = p.job.outputs.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "outputs/r/My_Walk.bvh",
                "outputs/r/My_Walk.fbx",
                "outputs/r/landmarks.dmpe"
            ]
        );
        assert_eq!((p.frames, p.job.credits), (60, 2.0));
        let trimmed = plan_for("a.mp4", Some(video()), &["trim=0.5,1.5"]);
        assert_eq!((trimmed.frames, trimmed.job.credits), (30, 1.0));
        // A format the document does not name produces nothing.
        let unknown = plan_for("a.mp4", Some(video()), &["formats=bvh,gif"]);
        assert_eq!(unknown.job.failure_code, None);
        assert_eq!(unknown.job.outputs.len(), 1);
        let failed = plan_for("a.mp4", Some(video()), &["sim=2"]);
        assert!(failed.job.outputs.is_empty());
        assert!(
            failed
                .job
                .failure_message
                .unwrap()
                .starts_with("503: Error processing the parameters (")
        );
    }

    #[test]
    fn the_render_follows_the_input_and_the_render_parameters() {
        let plain = plan_for("a.mp4", Some(video()), &[]);
        assert_eq!(plain.render.input_size, Some((320, 240)));
        assert_eq!(
            (plain.render.background, plain.render.side_by_side),
            (None, false)
        );
        let styled = plan_for(
            "a.mp4",
            Some(video()),
            &["render.bgColor=0,177,64,0", "render.sbs=1"],
        );
        assert_eq!(styled.render.background, Some([0, 177, 64]));
        assert!(styled.render.side_by_side);
    }

    #[test]
    fn phases_move_on_with_time() {
        let p = plan_for("a.mp4", Some(video()), &[]);
        assert_eq!(phase(&p.job, 0.0).0, Phase::Progress { step: 0 });
        assert_eq!(
            phase(&p.job, p.job.sim_total / 2.0).0,
            Phase::Progress { step: 50 }
        );
        assert_eq!(phase(&p.job, p.job.sim_total).0, Phase::Success);
        let f = plan_for("a-fail-599.mp4", Some(video()), &[]);
        assert_eq!(phase(&f.job, 1e9).0, Phase::Failure);
        assert!(new_rid().len() == 26);
    }
}
