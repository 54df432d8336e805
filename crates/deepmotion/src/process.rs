//! `POST /process`: start a job from an upload, or rerun a finished one,
//! without ever being charged twice.
//!
//! Before anything is sent, the parameters are checked and the findings
//! sorted by severity ([`motionkit_validation::Severity`]): errors (rules
//! the documents state) are never sent; documented failures (error 503
//! for a `trim` beyond the video's end, 504 for a `model` the account does
//! not have, 505 for `sim=1` with a custom model) are refused unless
//! [`Process::force`] is set; warnings (our own inferences) never block
//! and come back in [`Submitted::warnings`]. A rerun learns its input's
//! kind and duration from the job it reruns.
//!
//! `/process` is not idempotent. When a submission fails in a way that
//! leaves it unknown whether the server started the job (a timeout or a
//! broken connection after the request went out, or a 5xx), the client
//! looks in `/list` for a job created for the same input since the
//! submission began, and adopts it instead of submitting again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use motionkit_models::deepmotion::{PROCESSOR_VIDEO2ANIM, ProcessRequest};

use motionkit_validation::{Findings, Rule, Severity, Violation, Violations};
use motionkit_validation::{InputKind, ProcessParams, keys};

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

/// A submitted job, and what was reported but did not block.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    /// The job's request id.
    pub rid: String,
    /// Warnings, and the documented failures sent anyway with
    /// [`Process::force`].
    pub warnings: Vec<Violation>,
    /// The input's kind, as checked.
    pub input: InputKind,
    /// The input's duration in seconds, when it was known.
    pub duration: Option<f64>,
}

/// A `/process` request.
///
/// ```no_run
/// # async fn demo(client: &motionkit_deepmotion::Client, upload: &motionkit_deepmotion::Upload) -> Result<(), motionkit_deepmotion::Error> {
/// use motionkit_deepmotion::Process;
/// use motionkit_validation::{OutputFormat, ProcessParams};
///
/// let params = ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Fbx]).sim(true);
/// let rid = Process::new(upload).params(params).send(client).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Process {
    source: Source,
    params: ProcessParams,
    input: Option<InputKind>,
    duration: Option<f64>,
    force: bool,
}

/// What the job `rid` was made from: its kind (from its file name, or the
/// first bytes of its input when the name says nothing) and its duration,
/// from `/download` and `/list`. Unknown parts stay `None`.
async fn rerun_input(client: &Client, rid: &str) -> (Option<InputKind>, Option<f64>) {
    let rids = [rid.to_owned()];
    let link = match client.download_links(&rids).await {
        Ok(links) => links.into_iter().find(|l| l.rid == rid),
        Err(error) => {
            tracing::warn!(error = %error, "cannot read the job being rerun from /download");
            None
        }
    };
    let mut name = link.as_ref().and_then(|l| l.name.clone());
    let mut duration = link.as_ref().and_then(|l| l.duration);
    if name.is_none() || duration.is_none() {
        if let Ok(jobs) = client.list(&[]).await {
            if let Some(job) = jobs.into_iter().find(|j| j.rid == rid) {
                name = name.or(job.file_name);
                duration = duration.or(job.file_duration);
            }
        }
    }
    let by_name = name.as_deref().and_then(known_input_kind);
    let kind = match (by_name, link.and_then(|l| l.input)) {
        (Some(kind), _) => Some(kind),
        (None, Some(url)) => sniff_input(client, &url).await,
        (None, None) => None,
    };
    (kind, duration.filter(|d| d.is_finite() && *d > 0.0))
}

/// The kind a file name's extension names, if it names one.
fn known_input_kind(name: &str) -> Option<InputKind> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" => Some(InputKind::Image),
        "mp4" | "mov" | "avi" | "webm" | "mkv" | "m4v" => Some(InputKind::Video),
        _ => None,
    }
}

/// The kind of the file at `url`, from its first bytes.
async fn sniff_input(client: &Client, url: &str) -> Option<InputKind> {
    use motionkit_validation::{HEAD_BYTES, Identified, identify};
    let response = client
        .transport()
        .fetch_head(url, HEAD_BYTES as u64)
        .await
        .ok()?;
    match identify(&response.into_body()) {
        Identified::Media { kind, .. } => Some(kind.into()),
        _ => None,
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
    let problem = motionkit_validation::server_id("rid", rid)
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
            input: Some(upload.input),
            source: Source::Upload {
                url: upload.url.clone(),
                name: upload.name.clone(),
            },
            params: ProcessParams::default(),
            duration: None,
            force: false,
        }
    }

    /// Reruns the finished job `rid` with other parameters (and charges
    /// again). Its input's kind and duration come from the job
    /// ([`Process::send`] asks `/download` and `/list`), unless set with
    /// [`Process::input`] and [`Process::duration`].
    pub fn rerun(rid: impl Into<String>) -> Self {
        Process {
            source: Source::Rerun { rid: rid.into() },
            params: ProcessParams::default(),
            input: None,
            duration: None,
            force: false,
        }
    }

    /// Sends what the documents say fails (see the module docs) anyway.
    /// Errors are never sent.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Processing parameters.
    pub fn params(mut self, params: ProcessParams) -> Self {
        self.params = params;
        self
    }

    /// Whether the input is a video or an image. An upload knows it from
    /// the file's first bytes; a rerun learns it from the job.
    pub fn input(mut self, input: InputKind) -> Self {
        self.input = Some(input);
        self
    }

    /// The input's duration in seconds, when known, so `trim` is checked
    /// against it.
    pub fn duration(mut self, seconds: f64) -> Self {
        self.duration = Some(seconds);
        self
    }

    /// Every finding about the parameters with what is known locally (a
    /// rerun whose input kind is not known yet is checked as a video).
    pub fn check(&self) -> Findings {
        self.params
            .check(self.input.unwrap_or(InputKind::Video), self.duration)
    }

    /// The request body, after checking every parameter locally: errors,
    /// and documented failures unless forced, refuse it.
    pub fn to_request(&self) -> Result<ProcessRequest, Violations> {
        self.check().into_result(self.force)?;
        Ok(self.request())
    }

    fn request(&self) -> ProcessRequest {
        let params = self.params.to_params();
        let (url, rid) = match &self.source {
            Source::Upload { url, .. } => (Some(url.clone()), None),
            Source::Rerun { rid } => (None, Some(rid.clone())),
        };
        ProcessRequest {
            url,
            rid,
            processor: PROCESSOR_VIDEO2ANIM.to_owned(),
            params: (!params.is_empty()).then_some(params),
        }
    }

    /// Submits the job and returns its request id; see [`Process::submit`].
    pub async fn send(&self, client: &Client) -> Result<String, Error> {
        self.submit(client).await.map(|s| s.rid)
    }

    /// Checks, then submits the job. Before anything is sent:
    ///
    /// - a rerun learns its input's kind and duration from the job;
    /// - with `trim`, an upload's duration comes from `/videoInfo` (free);
    /// - with `model`, the account's `listModels` is asked whether it has
    ///   that model (when the list cannot be read, the check is skipped
    ///   with a logged warning);
    ///
    /// then errors refuse the job, documented failures refuse it unless
    /// forced, and warnings come back in [`Submitted::warnings`].
    pub async fn submit(&self, client: &Client) -> Result<Submitted, Error> {
        // What is wrong whatever the server says is refused before any
        // request, even the free ones.
        self.local_errors().into_result(())?;
        let (input, duration) = self.learn_input(client).await;
        let mut findings = self.params.check(input, duration);
        if let Some(missing) = self.missing_model(client).await {
            findings.push(missing);
        }
        let warnings = findings.into_result(self.force)?;
        for warning in &warnings {
            tracing::warn!(warning = %warning, "sending anyway");
        }
        let rid = self.post(client, &self.request()).await?;
        Ok(Submitted {
            rid,
            warnings,
            input,
            duration,
        })
    }

    /// The errors known without asking the server: for an input whose
    /// kind is not known yet (a rerun), those of a video and a picture
    /// alike.
    fn local_errors(&self) -> Violations {
        match self.input {
            Some(input) => self.params.check(input, self.duration).errors,
            None => self.params.check_any_input(self.duration).errors,
        }
    }

    /// The input's kind and duration: as set, else from the upload or the
    /// job being rerun. What cannot be learnt stays unknown (a video of
    /// unknown duration).
    async fn learn_input(&self, client: &Client) -> (InputKind, Option<f64>) {
        let mut input = self.input;
        let mut duration = self.duration;
        match &self.source {
            Source::Rerun { rid } if input.is_none() || duration.is_none() => {
                let (kind, seconds) = rerun_input(client, rid).await;
                input = input.or(kind);
                duration = duration.or(seconds);
            }
            Source::Upload { url, .. }
                if duration.is_none()
                    && self.params.trim.is_some()
                    && input != Some(InputKind::Image) =>
            {
                match client.video_info(url).await {
                    Ok(info) => duration = info.duration,
                    Err(error) => tracing::warn!(
                        error = %error,
                        "cannot read the video's duration from /videoInfo; trim is not checked against it"
                    ),
                }
            }
            _ => {}
        }
        let input = input.unwrap_or(InputKind::Video);
        (input, duration.filter(|_| input == InputKind::Video))
    }

    /// The documented failure for a `model` the account does not have
    /// (error 504), when its model list can be read.
    async fn missing_model(&self, client: &Client) -> Option<Violation> {
        let model = self.params.model.as_deref()?;
        if self.force {
            return None;
        }
        match client.list_models(Some(model), None).await {
            Ok(models) if models.iter().any(|m| m.id == model) => None,
            Ok(_) => Some(
                Violation::new(
                    keys::MODEL,
                    Rule::UnknownModel,
                    model,
                    "a model id of the account's listModels (DeepMotion fails the job with \
                     error 504: error loading the character assets)",
                )
                .with_severity(Severity::DocumentedFailure),
            ),
            Err(error) => {
                tracing::warn!(error = %error, model, "cannot read the account's models; the model id is not checked");
                None
            }
        }
    }

    /// Posts the request and returns its rid, adopting rather than
    /// resubmitting after an ambiguous failure.
    async fn post(&self, client: &Client, request: &ProcessRequest) -> Result<String, Error> {
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
            match client.raw_process(request).await {
                Ok(rid) if motionkit_validation::server_id("rid", &rid).is_ok() => {
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
            .filter(|j| motionkit_validation::server_id("rid", &j.rid).is_ok())
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
    use motionkit_validation::OutputFormat;
    use motionkit_validation::Rule;

    fn upload(name: &str) -> Upload {
        Upload {
            url: "https://storage.example/u?sig=x".into(),
            name: name.into(),
            size: 1,
            input: known_input_kind(name).unwrap_or(InputKind::Video),
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
