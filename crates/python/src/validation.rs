//! `motionkit.validation`, with no network: the validation crate's
//! findings for `/process` parameters and for a theme's values.

use motionkit_models::motiondynamic::Theme;
use motionkit_motiondynamic::GenerationValues;
use motionkit_validation::InputKind;
use pyo3::prelude::*;
use serde_json::Value;

use crate::args::params_from;
use crate::failure::{Failure, violation_json};

/// The findings as JSON; parameters that do not even parse are findings
/// too (errors), not an exception.
fn findings(found: Result<motionkit_validation::Findings, Failure>) -> PyResult<String> {
    match found {
        Ok(found) => {
            Ok(Value::from(found.iter().map(violation_json).collect::<Vec<_>>()).to_string())
        }
        Err(failure) => match failure.into_findings() {
            Ok(findings) => Ok(Value::from(findings).to_string()),
            Err(failure) => Err(failure.into()),
        },
    }
}

/// Every finding for `/process` parameters (JSON: a list of `key=value`
/// texts or a dict of keywords) on an `input` (`video` or `image`) of
/// `duration` seconds, if known.
#[pyfunction]
#[pyo3(signature = (params, input="video", duration=None))]
pub fn check_params(params: &str, input: &str, duration: Option<f64>) -> PyResult<String> {
    findings((|| {
        let value: Value =
            serde_json::from_str(params).map_err(|_| Failure::argument("params", "JSON"))?;
        let kind = match input {
            "video" => InputKind::Video,
            "image" => InputKind::Image,
            other => {
                return Err(Failure::argument(
                    "input",
                    format!("video or image (got {other:?})"),
                ));
            }
        };
        Ok(params_from(&value)?.validate(kind, duration))
    })())
}

/// Every finding for a theme's values: `theme` is the theme as
/// MotionDynamic returns it (JSON), `values` a JSON object of texts.
#[pyfunction]
pub fn check_values(theme: &str, values: &str) -> PyResult<String> {
    findings((|| {
        let theme: Theme = serde_json::from_str(theme).map_err(|e| {
            Failure::argument("theme", format!("a theme as MotionDynamic returns it: {e}"))
        })?;
        let values: serde_json::Map<String, Value> = serde_json::from_str(values)
            .map_err(|_| Failure::argument("values", "a JSON object"))?;
        let mut checked = GenerationValues::new(&theme);
        for (key, value) in values {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            checked = checked.set(key, text);
        }
        Ok(checked.validate())
    })())
}
