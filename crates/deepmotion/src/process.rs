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
//! `/process` is not idempotent, and one [`Process::send`] sends it at
//! most once, whatever happens. When a submission fails in a way that
//! leaves it unknown whether the server started the job (a timeout or a
//! broken connection after the request went out, a 5xx, an answer without
//! a usable rid), the client looks once in `/list` for the job whose
//! `fileName` is the upload's unique name (see [`PendingSubmission`]) and
//! adopts it; when `/list` does not show it (yet), the call ends with
//! [`Error::SubmissionUnknown`], which says what was sent and when, and
//! [`Process::adopt`] resolves it later. It is never sent again on its own.
//!
//! Dropping the future of [`Process::send`] before
//! it returns leaves nothing running and nothing locked; if the `POST` had
//! gone out, its job may exist. Save the [`PendingSubmission`] given to
//! [`Process::on_submitting`] before the request is sent, and find the job
//! with [`Process::adopt`] rather than submitting again.

use std::sync::Arc;

use motionkit_models::deepmotion::{PROCESSOR_VIDEO2ANIM, ProcessRequest};

use motionkit_validation::{Findings, Rule, Severity, Violation, Violations};
use motionkit_validation::{InputKind, ProcessParams, keys};

use crate::client::{Client, Upload};
use crate::error::Error;
use crate::submission::{Adoption, PendingSubmission};

/// A callback told of a submission just before it is sent.
#[derive(Clone)]
struct OnSubmitting(Arc<dyn Fn(&PendingSubmission) + Send + Sync>);

impl std::fmt::Debug for OnSubmitting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnSubmitting(..)")
    }
}

#[derive(Debug, Clone)]
enum Source {
    Upload {
        url: String,
        name: String,
    },
    Rerun {
        rid: String,
    },
    /// A multi-person animation of the people a detection job found.
    People {
        detection: String,
        name: Option<String>,
    },
}

/// A submitted job, and what was reported but did not block.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    /// When the `POST /process` was sent (this machine's clock).
    pub submitted_at: std::time::SystemTime,
}

/// A `/process` request.
///
/// ```no_run
/// # async fn demo(client: &motionkit_deepmotion::Client, upload: &motionkit_deepmotion::Upload) -> Result<(), motionkit_deepmotion::Error> {
/// use motionkit_deepmotion::Process;
/// use motionkit_validation::{OutputFormat, ProcessParams};
///
/// let params = ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Fbx]).sim(true);
/// let submitted = Process::new(upload).params(params).send(client).await?;
/// println!("job {} ({} warnings)", submitted.rid, submitted.warnings.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Process {
    source: Source,
    params: ProcessParams,
    input: Option<InputKind>,
    duration: Option<f64>,
    force: bool,
    on_submitting: Option<OnSubmitting>,
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
    if (name.is_none() || duration.is_none())
        && let Ok(jobs) = client.list(&[]).await
        && let Some(job) = jobs.into_iter().find(|j| j.rid == rid)
    {
        name = name.or(job.file_name);
        duration = duration.or(job.file_duration);
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
             it is looked up in /list, never submitted again"
        ),
        sent: motionkit_transport::Sent::Sent,
    }
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
            on_submitting: None,
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
            on_submitting: None,
        }
    }

    /// Animates people a multi-person detection job (`detection`, run with
    /// `pipeline=mp_detection`) found: `POST /process` with
    /// `rid_mp_detection` instead of `url` or `rid`, and the people in the
    /// parameters' `models` ([`ProcessParams::models`]). `upload_name` is
    /// the detection's input name (its `fileName` in `/list`), which the
    /// animation job carries too: an ambiguous submission is looked up by
    /// it, leaving out the detection job itself. Source: the official SDK
    /// dm-animate3d-api 1.0.2 (`start_multi_person_job`).
    pub fn people(detection: impl Into<String>, upload_name: Option<String>) -> Self {
        Process {
            source: Source::People {
                detection: detection.into(),
                name: upload_name,
            },
            params: ProcessParams::default(),
            input: Some(InputKind::Video),
            duration: None,
            force: false,
            on_submitting: None,
        }
    }

    /// Called with the [`PendingSubmission`] just before `POST /process`
    /// goes out: save it, so that a run interrupted during the request can
    /// find its job with [`Process::adopt`] instead of submitting again.
    pub fn on_submitting(
        mut self,
        on_submitting: impl Fn(&PendingSubmission) + Send + Sync + 'static,
    ) -> Self {
        self.on_submitting = Some(OnSubmitting(Arc::new(on_submitting)));
        self
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

    /// Every finding about the parameters with what is known locally, at
    /// once and with its severity (a rerun whose input kind is not known
    /// yet is checked as a video). No request is made; [`Process::send`]
    /// adds what only the service can tell (the input's kind and length,
    /// whether a custom model exists).
    pub fn validate(&self) -> Findings {
        self.params
            .validate(self.input.unwrap_or(InputKind::Video), self.duration)
    }

    /// The request body, after checking every parameter locally: errors,
    /// and documented failures unless forced, refuse it.
    pub fn to_request(&self) -> Result<ProcessRequest, Violations> {
        self.validate().into_result(self.force)?;
        Ok(self.request())
    }

    fn request(&self) -> ProcessRequest {
        let params = self.params.to_params();
        let (url, rid, detection) = match &self.source {
            Source::Upload { url, .. } => (Some(url.clone()), None, None),
            Source::Rerun { rid } => (None, Some(rid.clone()), None),
            Source::People { detection, .. } => (None, None, Some(detection.clone())),
        };
        ProcessRequest {
            url,
            rid,
            processor: PROCESSOR_VIDEO2ANIM.to_owned(),
            params: (!params.is_empty()).then_some(params),
            rid_mp_detection: detection,
        }
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
    /// forced, and warnings come back in [`Submitted::warnings`], with the
    /// request id and the time it was sent.
    pub async fn send(&self, client: &Client) -> Result<Submitted, Error> {
        // What is wrong whatever the server says is refused before any
        // request, even the free ones.
        self.local_errors().into_result(())?;
        let (input, duration) = self.learn_input(client).await;
        let mut findings = self.params.validate(input, duration);
        if let Some(missing) = self.missing_model(client).await {
            findings.push(missing);
        }
        if !self.force {
            findings.extend(client.missing_people_models(&self.params.models).await);
        }
        let warnings = findings.into_result(self.force)?;
        for warning in &warnings {
            tracing::warn!(warning = %warning, "sending anyway");
        }
        let submitted_at = std::time::SystemTime::now();
        let rid = self.post(client, &self.request()).await?;
        Ok(Submitted {
            rid,
            warnings,
            input,
            duration,
            submitted_at,
        })
    }

    /// The errors known without asking the server: for an input whose
    /// kind is not known yet (a rerun), those of a video and a picture
    /// alike.
    fn local_errors(&self) -> Violations {
        match self.input {
            Some(input) => self.params.validate(input, self.duration).errors,
            None => self.params.validate_any_input(self.duration).errors,
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

    /// What is about to be sent, to find its job later.
    fn pending(&self) -> PendingSubmission {
        match &self.source {
            Source::Upload { name, .. } => PendingSubmission::now(Some(name.clone()), None),
            Source::Rerun { rid } => PendingSubmission::now(None, Some(rid.clone())),
            Source::People { name, .. } => PendingSubmission::now(name.clone(), None),
        }
    }

    /// Posts the request once and returns its rid. After an answer that
    /// leaves the outcome unknown, the job is looked up once by its exact
    /// upload name; when `/list` does not show it, the submission is
    /// [`Error::SubmissionUnknown`], never sent again.
    async fn post(&self, client: &Client, request: &ProcessRequest) -> Result<String, Error> {
        let pending = self.pending();
        if let Source::People { detection, .. } = &self.source {
            // The animation job carries the detection's fileName: the
            // detection itself is never the job an ambiguous answer made.
            client.claim(detection);
        }
        if let Some(on_submitting) = &self.on_submitting {
            (on_submitting.0)(&pending);
        }
        match client.raw_process(request).await {
            Ok(rid) if motionkit_validation::server_id("rid", &rid).is_ok() => {
                client.claim(&rid);
                Ok(rid)
            }
            // The server accepted the job but named it unusably.
            Ok(rid) => unknown_outcome(client, pending, unusable_rid(&rid)).await,
            Err(e) if e.may_have_acted() => {
                tracing::warn!(error = %e, "submission outcome unknown; looking for its job in /list");
                unknown_outcome(client, pending, e).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Finds the job of a submission whose outcome was unknown (an
    /// [`Error::SubmissionUnknown`], or a run interrupted after an
    /// [`AnimateEvent::Submitting`](crate::AnimateEvent::Submitting)) by its
    /// exact upload name in `/list`. It never submits anything:
    /// [`Adoption::NotListed`] may mean that `/list` has not caught up yet,
    /// so sending the job again is the caller's decision.
    ///
    /// A rerun's job cannot be told apart exactly (it has the name of the
    /// job it reruns): its pending submission is refused.
    pub async fn adopt(client: &Client, pending: &PendingSubmission) -> Result<Adoption, Error> {
        match &pending.upload_name {
            Some(name) => lookup(client, name).await,
            None => Err(Violation::new(
                "upload_name",
                Rule::Required,
                "",
                "the unique name of the submission's upload (a rerun's job has the name of the \
                 job it reruns, so it cannot be found exactly: check `motionkit list`)",
            )
            .into()),
        }
    }
}

/// The end of a submission whose outcome is unknown: the job when `/list`
/// shows exactly one of its upload name, else [`Error::SubmissionUnknown`].
async fn unknown_outcome(
    client: &Client,
    pending: PendingSubmission,
    cause: motionkit_transport::Error,
) -> Result<String, Error> {
    if let Some(name) = &pending.upload_name {
        match lookup(client, name).await {
            Ok(Adoption::Found(rid)) => {
                tracing::info!(rid = %rid, "adopted the job an ambiguous submission created");
                return Ok(rid);
            }
            Ok(other) => tracing::warn!(found = ?other, "no single job of the submission in /list"),
            Err(error) => {
                tracing::warn!(error = %error, "cannot look for the job an ambiguous submission may have created")
            }
        }
    }
    Err(Error::SubmissionUnknown {
        pending,
        cause: Box::new(cause),
    })
}

/// The jobs of `/list` whose `fileName` is `upload_name`, usable rids
/// only, without those this client already holds.
pub(crate) async fn lookup(client: &Client, upload_name: &str) -> Result<Adoption, Error> {
    let jobs = client.list(&[]).await?;
    let mut rids: Vec<String> = jobs
        .into_iter()
        .filter(|j| j.file_name.as_deref() == Some(upload_name))
        .filter(|j| motionkit_validation::server_id("rid", &j.rid).is_ok())
        .filter(|j| !client.is_claimed(&j.rid))
        .map(|j| j.rid)
        .collect();
    rids.dedup();
    Ok(match rids.len() {
        0 => Adoption::NotListed,
        1 => {
            let rid = rids.remove(0);
            client.claim(&rid);
            Adoption::Found(rid)
        }
        _ => Adoption::Several(rids),
    })
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
