//! The `--json` contract: one documented shape per command, snake_case
//! keys throughout, normalised from the wire. Every shape derives
//! `JsonSchema`; [`schemas`] lists them, `cargo xtask cli-schemas` writes
//! them to `docs/cli-schemas/`, and the CLI tests validate real outputs
//! against those files. Every document has `simulated` (true when the
//! embedded sandbox produced it); a failure adds an `error` object (see
//! [`crate::exit::ErrorOutput`]).
//!
//! Each service's shapes are in a module of their own (`deepmotion`,
//! `motiondynamic`); the tools' shapes (`config show`, `sandbox`) and the
//! list of schemas are here.

mod deepmotion;
mod motiondynamic;
mod people;

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use crate::exit::ErrorOutput;

pub use deepmotion::{
    AnimateOutput, AnimatedInput, CreditsOutput, DeleteOutput, DownloadOutput, DownloadedJob,
    EndpointOutput, EndpointView, EndpointsOutput, JobView, ListOutput, ListedJob,
    ModelUpdateOutput, ModelUploadOutput, ModelView, ModelsOutput, PlannedInput, ProcessPlan,
    RerunOutput, SavedFile, StatusOutput, VideoInfoOutput,
};
pub use motiondynamic::{
    GenerateOutput, GeneratePlan, GenerateSubmitted, GenerationOutput, ThemeView, ThemesOutput,
    ValidateOutput, ValueView,
};
pub use people::{
    AnimatedPerson, DetectedPersonView, PeopleAnimateOutput, PeopleDetectOutput, PreviewFile,
};

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
    /// True when `--sandbox` or `MOTIONKIT_SANDBOX` is on: commands would
    /// use the embedded sandbox (the same as `sandbox`).
    pub simulated: bool,
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
    /// Always true: everything these emulators answer is simulated.
    pub simulated: bool,
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
        ("people-detect", schema::<PeopleDetectOutput>()),
        ("people-animate", schema::<PeopleAnimateOutput>()),
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
    fn every_document_has_simulated() {
        for (name, schema) in schemas() {
            assert_eq!(
                schema["properties"]["simulated"]["type"], "boolean",
                "{name}"
            );
            let required = schema["required"].as_array().unwrap();
            assert!(required.iter().any(|r| r == "simulated"), "{name}");
        }
    }

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
