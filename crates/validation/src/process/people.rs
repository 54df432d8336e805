//! The multi-person parameters `pipeline` and `models`. Their source is the
//! official Python SDK dm-animate3d-api 1.0.2, not the API document (see
//! `specs/deepmotion.json`).

use super::*;

wire_enum! {
    /// `pipeline`: which pipeline a job runs. Source: the official SDK
    /// dm-animate3d-api 1.0.2 (`prepare_multi_person_job`).
    Pipeline, keys::PIPELINE, {
        /// Multi-person detection: the job finds the people in the video,
        /// one output group (`<name>_001`, ...) per person.
        MpDetection => "mp_detection",
    }
}

/// One person of a multi-person animation job and the character model that
/// animates them: an element of `models=`. Source: the official SDK
/// dm-animate3d-api 1.0.2 (`start_multi_person_job`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonModel {
    /// The tracking id the detection job reported, such as `001`.
    #[serde(rename = "trackingId")]
    pub tracking_id: String,
    /// A character model id from `/character/listModels`.
    #[serde(rename = "modelId")]
    pub model_id: String,
}

impl PersonModel {
    /// One person and their model.
    pub fn new(tracking_id: impl Into<String>, model_id: impl Into<String>) -> Self {
        PersonModel {
            tracking_id: tracking_id.into(),
            model_id: model_id.into(),
        }
    }
}

/// The `models=` value: a JSON list of `{"trackingId", "modelId"}`.
pub(super) fn render_models(models: &[PersonModel]) -> String {
    // Serialising plain strings into JSON cannot fail.
    serde_json::to_string(models).unwrap_or_default()
}

/// Reads a `models=` value.
pub(super) fn parse_models(field: &str, value: &str) -> Result<Vec<PersonModel>, Violation> {
    serde_json::from_str(value).map_err(|_| {
        Violation::new(
            field,
            Rule::Syntax,
            value,
            r#"a JSON list of {"trackingId": "001", "modelId": "<model id>"}"#,
        )
    })
}

/// The errors of `models`: no person twice, each id a token.
pub(super) fn check_models(models: &[PersonModel]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (index, person) in models.iter().enumerate() {
        if models[..index]
            .iter()
            .any(|p| p.tracking_id == person.tracking_id)
        {
            out.push(Violation::new(
                keys::MODELS,
                Rule::Duplicate,
                &person.tracking_id,
                "each tracking id at most once",
            ));
        }
        out.extend(token(keys::MODELS, &person.tracking_id).err());
        out.extend(token(keys::MODELS, &person.model_id).err());
    }
    out
}
