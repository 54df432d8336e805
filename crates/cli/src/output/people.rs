//! The `--json` shapes of `motionkit people detect` and `people animate`.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

/// One preview file of a detected person.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PreviewFile {
    /// File type as the server names it (jpg, mp4, ...).
    pub kind: String,
    /// Where it was saved, with `--out`; `null` otherwise.
    pub path: Option<PathBuf>,
}

/// One person a detection found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DetectedPersonView {
    /// The tracking id to name in `people animate --person ID=MODEL`.
    pub tracking_id: String,
    /// The person's preview files.
    pub previews: Vec<PreviewFile>,
}

/// `motionkit --json people detect`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PeopleDetectOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The detection job's request id (`people animate DETECTION_RID`).
    pub rid: String,
    /// The people found, in tracking id order.
    pub people: Vec<DetectedPersonView>,
}

/// One animated person's files.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AnimatedPerson {
    /// The tracking id.
    pub tracking_id: String,
    /// The model that animates them.
    pub model_id: String,
    /// The saved files.
    pub files: Vec<PathBuf>,
}

/// `motionkit --json people animate`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PeopleAnimateOutput {
    /// Produced by the embedded sandbox.
    pub simulated: bool,
    /// The animation job's request id.
    pub rid: String,
    /// The detection job it animates people of.
    pub detection: String,
    /// Each animated person's files.
    pub people: Vec<AnimatedPerson>,
    /// The `all_characters` archives (`all_characters.fbx.zip`), or their
    /// folders with `--unzip`.
    pub all_characters: Vec<PathBuf>,
}
