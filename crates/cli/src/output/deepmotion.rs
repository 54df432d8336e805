//! The `--json` shapes of the DeepMotion Animate 3D commands: `animate`,
//! `status`, `list`, `download`, `rerun`, `credits`, `video-info`, `models`
//! and `webhooks`.

use std::path::PathBuf;

use motionkit_models::deepmotion::{JobListEntry, JobStatus, JobStatusEntry, WebhookEndpoint};
use schemars::JsonSchema;
use serde::Serialize;

use crate::exit::describe_failure;

/// One saved output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SavedFile {
    /// File type as the server names it (bvh, fbx, mp4, ...).
    pub kind: String,
    /// Where it is.
    pub path: PathBuf,
    /// The name it would have had, when a file already had that name and
    /// this one was saved with a `-2`, `-3`... suffix instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<PathBuf>,
}

/// How far a job is.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct JobProgress {
    /// Steps done.
    pub step: f64,
    /// Steps in all.
    pub total: f64,
    /// `step / total`, 0 to 100.
    pub percent: f64,
}

/// `animate`: one input of the batch.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AnimatedInput {
    /// The input file as given.
    pub input: String,
    /// The job's request id, once submitted.
    pub rid: Option<String>,
    /// `done` or `failed`.
    pub status: String,
    /// The saved outputs.
    pub files: Vec<SavedFile>,
    /// DeepMotion's documented error code, for a failed job.
    pub error_code: Option<u32>,
    /// Why it failed.
    pub error_message: Option<String>,
    /// What happened to this input that the user should know, such as an
    /// upload that could not resume (the file changed, or the upload
    /// session expired) and started over.
    pub warnings: Vec<String>,
}

/// `motionkit --json animate`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AnimateOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// Every input succeeded.
    pub ok: bool,
    /// The batch's state file (run the same command again to resume).
    pub state_file: PathBuf,
    /// One entry per input, in the order given.
    pub videos: Vec<AnimatedInput>,
    /// Advisories about the options (never blocking).
    pub warnings: Vec<String>,
}

/// `animate --dry-run`: one input.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlannedInput {
    /// The input file as given.
    pub input: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Where its outputs would go.
    pub out_dir: PathBuf,
    /// The `/process` parameters that would be sent, as `key=value`.
    pub params: Vec<String>,
}

/// `motionkit --json animate --dry-run` and `rerun --dry-run`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProcessPlan {
    /// The sandbox was chosen.
    pub simulated: bool,
    /// Always true: nothing was sent.
    pub dry_run: bool,
    /// The job rerun, for `rerun`.
    pub rerun_of: Option<String>,
    /// What would be uploaded and submitted (`animate`), or the one
    /// parameter list (`rerun`, with `input` set to the rid).
    pub videos: Vec<PlannedInput>,
    /// Advisories about the options (never blocking).
    pub warnings: Vec<String>,
}

/// A job's status, normalised.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct JobView {
    /// Request id.
    pub rid: String,
    /// STARTING, PROGRESS, SUCCESS, RETRY, FAILURE (or what the server sent).
    pub status: String,
    /// The input file name the server recorded.
    pub input: Option<String>,
    /// The output name the server recorded.
    pub output: Option<String>,
    /// Progress of a running job.
    pub progress: Option<JobProgress>,
    /// DeepMotion's documented error code, for RETRY and FAILURE.
    pub error_code: Option<u32>,
    /// Why it failed, for RETRY and FAILURE.
    pub error_message: Option<String>,
}

impl JobView {
    /// Normalises a `/status` entry.
    pub fn from_status(entry: &JobStatusEntry) -> Self {
        let details = entry.details.clone().unwrap_or_default();
        let failed = matches!(entry.status, JobStatus::Failure | JobStatus::Retry);
        let reason = failed.then(|| details.failure());
        JobView {
            rid: entry.rid.clone(),
            status: entry.status.to_string(),
            input: details.input.clone(),
            output: details.out.clone(),
            progress: details.progress().map(|(step, total)| JobProgress {
                step,
                total,
                percent: if total > 0.0 {
                    (step / total * 100.0).clamp(0.0, 100.0)
                } else {
                    0.0
                },
            }),
            error_code: reason.as_ref().and_then(|r| r.code).map(|c| c.code()),
            error_message: reason.as_ref().map(describe_failure),
        }
    }
}

/// `motionkit --json status`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StatusOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The jobs the server knows.
    pub jobs: Vec<JobView>,
    /// Request ids the server does not know.
    pub unknown: Vec<String>,
}

/// One job of `list`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListedJob {
    /// Request id.
    pub rid: String,
    /// Its state.
    pub status: String,
    /// The input's file name.
    pub file_name: Option<String>,
    /// The input's size in bytes.
    pub file_size: Option<f64>,
    /// The input's duration in seconds.
    pub file_duration: Option<f64>,
    /// When the job was created, milliseconds since the epoch.
    pub created_ms: Option<f64>,
    /// When it last changed, milliseconds since the epoch.
    pub modified_ms: Option<f64>,
}

impl From<&JobListEntry> for ListedJob {
    fn from(job: &JobListEntry) -> Self {
        ListedJob {
            rid: job.rid.clone(),
            status: job.status.to_string(),
            file_name: job.file_name.clone(),
            file_size: job.file_size,
            file_duration: job.file_duration,
            created_ms: job.ctime,
            modified_ms: job.mtime,
        }
    }
}

/// `motionkit --json list`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The jobs.
    pub jobs: Vec<ListedJob>,
}

/// One job's downloads.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DownloadedJob {
    /// Request id.
    pub rid: String,
    /// The saved files.
    pub files: Vec<SavedFile>,
}

/// `motionkit --json download`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DownloadOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// One entry per job.
    pub jobs: Vec<DownloadedJob>,
}

/// `motionkit --json rerun`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RerunOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The new job's request id.
    pub rid: String,
    /// The job it reprocesses.
    pub rerun_of: String,
    /// The saved outputs, with `--out`.
    pub files: Option<Vec<SavedFile>>,
    /// What motionkit infers but the documents do not say fails, and what
    /// `--force` sent anyway: never blocking.
    pub warnings: Vec<String>,
}

/// `motionkit --json credits`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreditsOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The balance.
    pub credits: f64,
}

/// `motionkit --json video-info`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VideoInfoOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
    /// Frames per second.
    pub fps: Option<f64>,
    /// Duration in seconds.
    pub duration: Option<f64>,
    /// Codec name.
    pub codec: Option<String>,
    /// Size in bytes.
    pub size: Option<i64>,
}

/// One stored model.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelView {
    /// Model id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Thumbnail URL.
    pub thumb_url: Option<String>,
    /// Rig id.
    pub rig_id: Option<String>,
}

/// `motionkit --json models list`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelsOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The models.
    pub models: Vec<ModelView>,
}

/// `motionkit --json models upload`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelUploadOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The new model's id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// `motionkit --json models delete` and `webhooks delete`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeleteOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The deleted object's id.
    pub id: String,
    /// Always true on success (a failure is an error).
    pub deleted: bool,
}

/// A webhook endpoint.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EndpointView {
    /// Endpoint id.
    pub id: String,
    /// Where events go.
    pub url: String,
    /// Events delivered.
    pub events: Vec<String>,
}

impl From<&WebhookEndpoint> for EndpointView {
    fn from(endpoint: &WebhookEndpoint) -> Self {
        EndpointView {
            id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            events: endpoint.events.clone(),
        }
    }
}

/// `motionkit --json webhooks list`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EndpointsOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The endpoints.
    pub endpoints: Vec<EndpointView>,
}

/// `motionkit --json webhooks create|get|update`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EndpointOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The endpoint.
    pub endpoint: EndpointView,
}

/// `motionkit --json models update`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModelUpdateOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The model updated.
    pub id: String,
    /// Its new name, when one was given.
    pub name: Option<String>,
    /// A new thumbnail was uploaded or asked for.
    pub thumb: bool,
}
