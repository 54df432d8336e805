//! The `--json` shapes of the MotionDynamic commands: `themes`,
//! `validate`, `generate` and `generations`.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use crate::exit::Problem;

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
    /// What motionkit infers but the documents do not say fails, and what
    /// `--force` sent anyway: never blocking.
    pub warnings: Vec<String>,
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
    /// What motionkit infers but the documents do not say fails, and what
    /// `--force` sent anyway: never blocking.
    pub warnings: Vec<String>,
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
