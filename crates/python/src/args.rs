//! Reading a call's JSON arguments, and the shapes both clients share:
//! `/process` parameters given as keywords, paths, events.

use std::path::PathBuf;

use motionkit_transport::{OnExisting, Progress};
use motionkit_validation::{PROCESS_PARAMETERS, ProcessParams, canonical_key};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::failure::Failure;
use crate::runtime::Emit;

/// The call's arguments: a JSON object.
pub(crate) struct Args(serde_json::Map<String, Value>);

impl Args {
    pub(crate) fn parse(text: &str) -> Result<Args, Failure> {
        match serde_json::from_str(text) {
            Ok(Value::Object(map)) => Ok(Args(map)),
            _ => Err(Failure::argument("args", "a JSON object")),
        }
    }

    /// An optional argument; `null` counts as absent.
    pub(crate) fn opt<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Failure> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|e| Failure::argument(key, format!("wrong type: {e}"))),
        }
    }

    /// A required argument.
    pub(crate) fn req<T: DeserializeOwned>(&self, key: &str) -> Result<T, Failure> {
        self.opt(key)?
            .ok_or_else(|| Failure::argument(key, "required"))
    }

    pub(crate) fn path(&self, key: &str) -> Result<PathBuf, Failure> {
        self.req::<String>(key).map(PathBuf::from)
    }

    pub(crate) fn flag(&self, key: &str) -> Result<bool, Failure> {
        Ok(self.opt(key)?.unwrap_or(false))
    }

    /// `on_existing`: `keep_both` (default), `replace` or `fail`.
    pub(crate) fn on_existing(&self) -> Result<OnExisting, Failure> {
        match self.opt::<String>("on_existing")?.as_deref() {
            None | Some("keep_both") => Ok(OnExisting::KeepBoth),
            Some("replace") => Ok(OnExisting::Replace),
            Some("fail") => Ok(OnExisting::Fail),
            Some(other) => Err(Failure::argument(
                "on_existing",
                format!("one of keep_both, replace, fail (got {other:?})"),
            )),
        }
    }

    /// `params`: `/process` parameters, see [`params_from`].
    pub(crate) fn params(&self) -> Result<ProcessParams, Failure> {
        match self.0.get("params") {
            None | Some(Value::Null) => Ok(ProcessParams::new()),
            Some(value) => params_from(value),
        }
    }
}

/// `/process` parameters from Python: a list of `key=value` texts as the
/// wire has them, or an object of keywords. A keyword is a wire key
/// (`trackFace`, `render.bgColor`), an alias, or its snake_case form
/// (`track_face`, `render_bg_color`); any other key is an unknown
/// parameter and passes through as it is. Values: `True`/`False` are
/// `1`/`0`, lists are joined with commas. The validation crate parses the
/// result, so its rules and messages are the CLI's.
pub(crate) fn params_from(value: &Value) -> Result<ProcessParams, Failure> {
    let wire: Vec<String> = match value {
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Failure::argument("params", "a list of key=value texts"))
            })
            .collect::<Result<_, _>>()?,
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(key, v)| format!("{}={}", wire_key(key), wire_value(v)))
            .collect(),
        _ => return Err(Failure::argument("params", "a list or a dict")),
    };
    Ok(ProcessParams::parse(&wire)?)
}

/// `track_face` → `trackFace`, `render_cam_mode` → `render.CamMode`.
fn wire_key(key: &str) -> String {
    if let Some(canonical) = canonical_key(key) {
        return canonical.to_owned();
    }
    PROCESS_PARAMETERS
        .iter()
        .find(|spec| snake(spec.key) == key)
        .map_or_else(|| key.to_owned(), |spec| spec.key.to_owned())
}

fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c == '.' {
            out.push('_');
        } else if c.is_ascii_uppercase() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn wire_value(value: &Value) -> String {
    match value {
        Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(wire_value).collect::<Vec<_>>().join(","),
        Value::Object(_) => value.to_string(),
        Value::Null => String::new(),
    }
}

/// A transfer's progress as an event.
pub(crate) fn progress_event(kind: &str, what: &str, progress: Progress) -> Value {
    json!({"type": kind, "what": what, "bytes": progress.bytes, "total": progress.total})
}

/// An upload progress callback that emits `upload` events.
pub(crate) fn upload_progress(
    emit: &Option<Emit>,
    what: &str,
) -> Option<motionkit_transport::ProgressFn> {
    let emit = emit.clone()?;
    let what = what.to_owned();
    Some(std::sync::Arc::new(move |p: Progress| {
        emit(progress_event("upload", &what, p))
    }))
}

/// Serializes a client's answer.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, Failure> {
    serde_json::to_value(value)
        .map_err(|e| Failure::internal(format!("an answer could not be encoded: {e}")))
}

/// Settings given as arguments must not be blank: an empty text would
/// otherwise count as unset and fall back to the environment or the
/// config file without a word.
pub(crate) fn given_settings(given: &[(&str, &Option<String>)]) -> Result<(), Failure> {
    for (name, value) in given {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(Failure::argument(
                name,
                "not empty (leave it out, or pass None, to read it from the environment or the config file)",
            ));
        }
    }
    Ok(())
}

/// `timeout`: seconds each request may take (`Timeouts::attempt`).
pub(crate) fn timeouts(
    seconds: Option<f64>,
) -> Result<Option<motionkit_transport::Timeouts>, Failure> {
    match seconds {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 => Ok(Some(
            motionkit_transport::Timeouts::default().attempt(std::time::Duration::from_secs_f64(s)),
        )),
        Some(s) => Err(Failure::argument(
            "timeout",
            format!("a number of seconds above 0 (got {s})"),
        )),
    }
}

/// Settings as the CLI reads them: the environment (`SettingsInput::from_env`),
/// then what `set` overrides from the arguments, then the config file
/// (`config`, or the default one) and its `profile`.
pub(crate) fn load_settings(
    config: &Option<PathBuf>,
    profile: &Option<String>,
    set: impl FnOnce(&mut motionkit_transport::SettingsInput),
) -> Result<motionkit_transport::Settings, Failure> {
    let mut input = motionkit_transport::SettingsInput::from_env();
    set(&mut input);
    if config.is_some() {
        input.config_file.clone_from(config);
    }
    if profile.is_some() {
        input.profile.clone_from(profile);
    }
    Ok(motionkit_transport::Settings::load(input)?)
}
