//! `POST /process`: start a job from an upload, or rerun a finished one,
//! without ever being charged twice.
//!
//! `/process` is not idempotent. When a submission fails in a way that
//! leaves it unknown whether the server started the job (a timeout or a
//! broken connection after the request went out, or a 5xx), the client
//! looks in `/list` for a job created for the same input since the
//! submission began, and adopts it instead of submitting again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use motionkit_models::deepmotion::{PROCESSOR_VIDEO2ANIM, ProcessRequest};

use motionkit_validation::Violations;
use motionkit_validation::process::{InputKind, ProcessParams};

use crate::client::{Client, Upload};
use crate::error::Error;

/// Server clocks may run behind ours; jobs created this long before the
/// submission began still count as candidates.
const CLOCK_SKEW_MS: f64 = 120_000.0;

/// How many times an ambiguous submission is checked and re-sent.
const SUBMIT_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone)]
enum Source {
    Upload { url: String, name: String },
    Rerun { rid: String },
}

/// A `/process` request.
///
/// ```no_run
/// # async fn demo(client: &motionkit_deepmotion::Client, upload: &motionkit_deepmotion::Upload) -> Result<(), motionkit_deepmotion::Error> {
/// use motionkit_deepmotion::Process;
/// use motionkit_validation::process::{OutputFormat, ProcessParams};
///
/// let params = ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Fbx]).sim(true);
/// let rid = Process::new(upload).params(params).send(client).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Process {
    source: Source,
    params: ProcessParams,
    input: InputKind,
    duration: Option<f64>,
}

/// Whether a file name is an image (png/jpg) rather than a video.
pub fn input_kind(name: &str) -> InputKind {
    let lower = name.to_ascii_lowercase();
    if [".png", ".jpg", ".jpeg"].iter().any(|e| lower.ends_with(e)) {
        InputKind::Image
    } else {
        InputKind::Video
    }
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// The error to report when `/list` could not be read after a submission
/// whose `outcome` is unknown: that outcome, since the job may exist. The
/// lookup's own error (often "not sent") would tell the caller that
/// submitting again is safe.
fn cannot_tell(outcome: motionkit_transport::Error, lookup: &Error) -> Error {
    tracing::warn!(error = %lookup, "cannot look for the job an ambiguous submission may have created");
    outcome.into()
}

/// The error for a `/process` answer whose rid cannot be used: the job may
/// exist, so it is "sent, outcome unknown" (temporary, may have acted).
fn unusable_rid(rid: &str) -> motionkit_transport::Error {
    let problem = motionkit_validation::text::server_id("rid", rid)
        .err()
        .map(|v| v.to_string())
        .unwrap_or_default();
    motionkit_transport::Error::Protocol {
        request: "POST /process".to_owned(),
        message: format!(
            "the answer names no usable job ({problem}); the job may have been created: \
             it is looked up in /list before anything is submitted again"
        ),
        sent: motionkit_transport::Sent::Sent,
    }
}

/// Failures after which the job may or may not exist (the transport's
/// classifier decides).
fn ambiguous(error: &motionkit_transport::Error) -> bool {
    error.may_have_acted()
}

impl Process {
    /// A new job for an uploaded file.
    pub fn new(upload: &Upload) -> Self {
        Process {
            input: input_kind(&upload.name),
            source: Source::Upload {
                url: upload.url.clone(),
                name: upload.name.clone(),
            },
            params: ProcessParams::default(),
            duration: None,
        }
    }

    /// Reruns the finished job `rid` with other parameters (and charges
    /// again).
    pub fn rerun(rid: impl Into<String>) -> Self {
        Process {
            source: Source::Rerun { rid: rid.into() },
            params: ProcessParams::default(),
            input: InputKind::Video,
            duration: None,
        }
    }

    /// Processing parameters.
    pub fn params(mut self, params: ProcessParams) -> Self {
        self.params = params;
        self
    }

    /// Whether the input is a video or an image; guessed from the file name
    /// for uploads, video for reruns.
    pub fn input(mut self, input: InputKind) -> Self {
        self.input = input;
        self
    }

    /// The input's duration in seconds, when known, so `trim` is checked
    /// against it.
    pub fn duration(mut self, seconds: f64) -> Self {
        self.duration = Some(seconds);
        self
    }

    /// The request body, after checking every parameter.
    pub fn to_request(&self) -> Result<ProcessRequest, Violations> {
        self.params.validate(self.input, self.duration)?;
        let params = self.params.to_params();
        let (url, rid) = match &self.source {
            Source::Upload { url, .. } => (Some(url.clone()), None),
            Source::Rerun { rid } => (None, Some(rid.clone())),
        };
        Ok(ProcessRequest {
            url,
            rid,
            processor: PROCESSOR_VIDEO2ANIM.to_owned(),
            params: (!params.is_empty()).then_some(params),
        })
    }

    /// Submits the job and returns its request id. Invalid parameters are
    /// reported before anything is sent.
    pub async fn send(&self, client: &Client) -> Result<String, Error> {
        let request = self.to_request()?;
        let started = now_ms();
        let mut unknown: Option<motionkit_transport::Error> = None;
        for attempt in 0..SUBMIT_ATTEMPTS {
            if let Some(outcome) = unknown.take() {
                match self.find_created(client, started).await {
                    Ok(Some(rid)) => {
                        tracing::info!(rid = %rid, "adopted the job an ambiguous submission created");
                        return Ok(rid);
                    }
                    Ok(None) => {}
                    Err(lookup) => return Err(cannot_tell(outcome, &lookup)),
                }
                tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
            }
            match client.raw_process(&request).await {
                Ok(rid) if motionkit_validation::text::server_id("rid", &rid).is_ok() => {
                    client.claim(&rid);
                    return Ok(rid);
                }
                Ok(rid) => {
                    // The server accepted the job but named it unusably.
                    // Sending again could charge twice: look for it once.
                    let outcome = unusable_rid(&rid);
                    tracing::warn!(error = %outcome, "looking for the job in /list");
                    return match self.find_created(client, started).await {
                        Ok(Some(rid)) => Ok(rid),
                        Ok(None) => Err(outcome.into()),
                        Err(lookup) => Err(cannot_tell(outcome, &lookup)),
                    };
                }
                Err(e) if ambiguous(&e) => {
                    tracing::warn!(error = %e, "submission outcome unknown; checking /list before resending");
                    unknown = Some(e);
                }
                Err(e) => return Err(e.into()),
            }
        }
        let Some(outcome) = unknown else {
            return Err(Error::UnknownJob {
                rid: "(none)".into(),
            });
        };
        match self.find_created(client, started).await {
            Ok(Some(rid)) => Ok(rid),
            Ok(None) => Err(outcome.into()),
            Err(lookup) => Err(cannot_tell(outcome, &lookup)),
        }
    }

    /// A job created for the same input since `started`, not yet claimed by
    /// this client.
    async fn find_created(&self, client: &Client, started: f64) -> Result<Option<String>, Error> {
        let jobs = client.list(&[]).await?;
        let file_name = match &self.source {
            Source::Upload { name, .. } => Some(name.clone()),
            Source::Rerun { rid } => jobs
                .iter()
                .find(|j| &j.rid == rid)
                .and_then(|j| j.file_name.clone()),
        };
        let Some(file_name) = file_name else {
            return Ok(None);
        };
        let original = match &self.source {
            Source::Rerun { rid } => Some(rid.as_str()),
            Source::Upload { .. } => None,
        };
        let mut candidates: Vec<_> = jobs
            .into_iter()
            .filter(|j| j.file_name.as_deref() == Some(file_name.as_str()))
            .filter(|j| Some(j.rid.as_str()) != original)
            .filter(|j| j.ctime.is_some_and(|t| t >= started - CLOCK_SKEW_MS))
            .filter(|j| !client.is_claimed(&j.rid))
            .filter(|j| motionkit_validation::text::server_id("rid", &j.rid).is_ok())
            .collect();
        candidates.sort_by(|a, b| {
            b.ctime
                .partial_cmp(&a.ctime)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(candidates.first().map(|j| {
            client.claim(&j.rid);
            j.rid.clone()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motionkit_validation::Rule;
    use motionkit_validation::process::OutputFormat;

    fn upload(name: &str) -> Upload {
        Upload {
            url: "https://storage.example/u?sig=x".into(),
            name: name.into(),
            size: 1,
        }
    }

    #[test]
    fn renders_params_and_picks_url_or_rid() {
        let params = ProcessParams::new()
            .formats([OutputFormat::Bvh, OutputFormat::Fbx, OutputFormat::Mp4])
            .crop(0.239, 0.121, 0.742, 0.981);
        let request = Process::new(&upload("walk.mp4"))
            .params(params.clone())
            .to_request()
            .unwrap();
        assert_eq!(request.processor, "video2anim");
        assert!(request.url.is_some() && request.rid.is_none());
        let rendered = request.params.unwrap();
        assert!(
            rendered.contains(&"formats=bvh,fbx,mp4".to_owned()),
            "{rendered:?}"
        );
        assert!(
            rendered.contains(&"crop=0.239,0.121,0.742,0.981".to_owned()),
            "{rendered:?}"
        );

        let rerun = Process::rerun("r1").params(params).to_request().unwrap();
        assert_eq!((rerun.url, rerun.rid.as_deref()), (None, Some("r1")));
    }

    #[test]
    fn image_only_formats_are_refused_for_videos_before_sending() {
        let params = ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Png]);
        let err = Process::new(&upload("walk.mp4"))
            .params(params.clone())
            .to_request()
            .unwrap_err();
        assert!(err.iter().any(|v| v.rule == Rule::ImageInputOnly), "{err}");
        assert!(
            Process::new(&upload("pose.PNG"))
                .params(params)
                .to_request()
                .is_ok()
        );
    }

    #[test]
    fn trim_is_checked_against_a_known_duration() {
        let params = ProcessParams::new().trim(1.0, 9.0);
        let err = Process::new(&upload("walk.mp4"))
            .params(params)
            .duration(2.0)
            .to_request()
            .unwrap_err();
        assert!(
            err.iter().any(|v| v.rule == Rule::TrimBeyondDuration),
            "{err}"
        );
    }
}
