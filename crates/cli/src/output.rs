//! The `--json` contract: one documented shape per command, snake_case
//! keys throughout, normalised from the wire. Every shape derives
//! `JsonSchema`; [`schemas`] lists them, `cargo xtask cli-schemas` writes
//! them to `docs/cli-schemas/`, and the CLI tests validate real outputs
//! against those files. Every document has `simulated` (true when the
//! embedded sandbox produced it); a failure adds an `error` object (see
//! [`crate::exit::ErrorOutput`]).

use std::path::PathBuf;

use motionkit_models::deepmotion::{JobListEntry, JobStatus, JobStatusEntry, WebhookEndpoint};
use schemars::JsonSchema;
use serde::Serialize;

use crate::exit::{ErrorOutput, Problem, describe_failure};

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

/// One theme.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ThemeView {
    /// Theme id.
    pub theme_id: String,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Parameters with their rules: `id`, `layer`, `kind` (`type` and its
    /// limits), and `default` for colours.
    pub parameters: Vec<serde_json::Value>,
    /// Parameters of a type this motionkit does not know.
    pub unsupported_parameters: Vec<String>,
}

/// `motionkit --json themes`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ThemesOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The themes.
    pub themes: Vec<ThemeView>,
}

/// One theme value as sent.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ValueView {
    /// The parameter's id.
    pub parameter_id: String,
    /// The value.
    pub value: String,
}

/// `motionkit --json validate`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ValidateOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// Every value passed.
    pub valid: bool,
    /// The theme.
    pub theme_id: String,
    /// The values as they would be sent (when valid).
    pub values: Vec<ValueView>,
    /// Every problem (when not valid).
    pub problems: Vec<Problem>,
    /// What motionkit infers but the documents do not say fails (a missing
    /// parameter, a picture URL's extension...): never blocking.
    pub warnings: Vec<String>,
}

/// `motionkit --json generate`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GenerateOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The generation: from the created row, a read, or the UUID of the
    /// video's file name; null when none of them said.
    pub generation_id: Option<String>,
    /// Its theme.
    pub theme_id: String,
    /// Where the MP4 is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// How readiness was learnt: `webhook` or `read_back`.
    pub via: String,
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

/// `motionkit --json generate --timeout 0`: submitted, not waited for.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GenerateSubmitted {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// Always true: the generation was sent and not waited for.
    pub submitted: bool,
    /// The generation id; null when the server returned none and refuses
    /// reads (its id then comes only with its webhook).
    pub generation_id: Option<String>,
    /// Its theme.
    pub theme_id: String,
    /// False when the request may or may not have created it (the answer
    /// was lost and the generation could not be looked up).
    pub confirmed: bool,
    /// The command that waits for it, when it can be waited for by id.
    pub wait_command: Option<String>,
}

/// `motionkit --json generations get|wait|download`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GenerationOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The generation.
    pub generation_id: String,
    /// Its theme, when the server said.
    pub theme_id: Option<String>,
    /// `pending`, `done`, `discarded` or what the server sent; null when
    /// the server did not say.
    pub status: Option<String>,
    /// Where the MP4 is on the server (query string removed), once done.
    pub video: Option<String>,
    /// When it was created, when the server said.
    pub created_at: Option<String>,
    /// Where the MP4 was saved (`generations download`).
    pub path: Option<PathBuf>,
    /// Its size in bytes (`generations download`).
    pub bytes: Option<u64>,
}

/// `motionkit --json generate --dry-run`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GeneratePlan {
    /// The sandbox was chosen.
    pub simulated: bool,
    /// Always true: nothing was created.
    pub dry_run: bool,
    /// The theme.
    pub theme_id: String,
    /// The values that would be sent.
    pub values: Vec<ValueView>,
    /// Notes about the values (defaults filled in).
    pub warnings: Vec<String>,
}

/// One effective setting of `config show`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SettingView {
    /// `deepmotion.client_id` and so on.
    pub key: String,
    /// The value (secrets masked), when set.
    pub value: Option<String>,
    /// Where it came from: `flag --x`, `environment X`, `config file [table]`,
    /// `default` or `not set`.
    pub source: String,
}

/// `motionkit --json config show`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConfigOutput {
    /// The config file read, if any.
    pub config_file: Option<PathBuf>,
    /// The selected profile.
    pub profile: Option<String>,
    /// `--sandbox` or `MOTIONKIT_SANDBOX` is on.
    pub sandbox: bool,
    /// Every setting.
    pub settings: Vec<SettingView>,
}

/// `motionkit --json sandbox`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SandboxOutput {
    /// DeepMotion emulator base URL.
    pub deepmotion: String,
    /// MotionDynamic emulator base URL.
    pub motiondynamic: String,
    /// A MotionDynamic token the emulator accepts.
    pub motiondynamic_token: String,
}

fn schema<T: JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default()
}

/// Every output shape: `(file stem, schema)`.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("animate", schema::<AnimateOutput>()),
        ("process-plan", schema::<ProcessPlan>()),
        ("status", schema::<StatusOutput>()),
        ("list", schema::<ListOutput>()),
        ("download", schema::<DownloadOutput>()),
        ("rerun", schema::<RerunOutput>()),
        ("credits", schema::<CreditsOutput>()),
        ("video-info", schema::<VideoInfoOutput>()),
        ("models-list", schema::<ModelsOutput>()),
        ("models-upload", schema::<ModelUploadOutput>()),
        ("models-update", schema::<ModelUpdateOutput>()),
        ("delete", schema::<DeleteOutput>()),
        ("webhooks-list", schema::<EndpointsOutput>()),
        ("webhook", schema::<EndpointOutput>()),
        ("themes", schema::<ThemesOutput>()),
        ("validate", schema::<ValidateOutput>()),
        ("generate", schema::<GenerateOutput>()),
        ("generate-submitted", schema::<GenerateSubmitted>()),
        ("generation", schema::<GenerationOutput>()),
        ("generate-plan", schema::<GeneratePlan>()),
        ("config-show", schema::<ConfigOutput>()),
        ("sandbox", schema::<SandboxOutput>()),
        ("error", schema::<ErrorOutput>()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_an_object_with_snake_case_properties() {
        for (name, schema) in schemas() {
            assert_eq!(schema["type"], "object", "{name}");
            let text = schema.to_string();
            for key in schema["properties"].as_object().unwrap().keys() {
                assert!(
                    key.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{name}: {key}"
                );
            }
            assert!(!text.contains("fileName"), "{name}");
        }
    }
}
