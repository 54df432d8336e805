//! A theme's values as a JSON Schema (draft 2020-12), for tools that are not
//! written in Rust: a web form that asks users for a theme's texts, colours
//! and pictures can check them with any JSON Schema validator before the
//! generation is sent.
//!
//! The schema describes an object with one property per parameter, keyed by
//! `parameter_id` (`parameterType_id` in the theme). That is the shape a
//! form fills; the generation's `values` array is built from it one to one,
//! `{"parameter_id": key, "value": value}`. It expresses the errors of
//! [`crate::theme::check_values`], not its warnings: a missing parameter
//! or an unknown key is allowed, as the API allows them (the documents
//! never say every parameter is required), and any other key must be a
//! string. The theme's parameter ids are listed under `x-parameter-ids`
//! for a form that wants to ask for every one of them.
//!
//! The schema expresses the rules [`crate::theme::check_value`] applies
//! offline: text length and pattern, the hex colour without `#`, the output
//! layers as an enum, and pictures as `http(s)` URLs. It cannot express what
//! is checked by fetching a picture (its format and minimum size); those are
//! listed under `x-checked-by-fetching` and in the description. The offline
//! extension check on a picture URL is left to [`crate::theme::check_value`]
//! as well. `tests/json_schema_differential.rs` runs an independent
//! validator and ours over the same value sets to prove the two agree on
//! every rule the schema expresses.
//!
//! ```
//! use motionkit_validation::{values_schema, Annotations};
//! use motionkit_validation::ThemeParameter;
//!
//! let theme = [ThemeParameter::color("afcad4e5-d951-43a1-8a59-889f97b357b5", "background_color")];
//! let schema = values_schema(&theme, &Annotations::default());
//! assert_eq!(schema["properties"]["afcad4e5-d951-43a1-8a59-889f97b357b5"]["pattern"], "^[0-9A-Fa-f]{6}$");
//! assert_eq!(schema["x-parameter-ids"][0], "afcad4e5-d951-43a1-8a59-889f97b357b5");
//! assert!(schema.get("required").is_none());
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::theme::{ParameterKind, ThemeParameter};

/// The dialect every schema declares.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// `RRGGBB` without `#`, as [`crate::text::hex_color`] checks.
pub const HEX_COLOR_PATTERN: &str = "^[0-9A-Fa-f]{6}$";

/// Characters that [`crate::text::http_url`] refuses anywhere in a URL:
/// Unicode white space and control characters, spelt out so that every
/// regular-expression dialect (ECMA 262, Rust, Python) reads them alike.
const URL_FORBIDDEN: &str =
    r"\u0000-\u0020\u007F-\u009F\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// An absolute `http://` or `https://` URL with a host, as
/// [`crate::text::http_url`] checks: the scheme in any case; optional user
/// information up to the last `@`; a host that is not empty (an IPv6
/// literal in brackets, or a name before an optional `:port`); no white
/// space or control character anywhere.
pub fn http_url_pattern() -> String {
    let f = URL_FORBIDDEN;
    format!(
        "^[Hh][Tt][Tt][Pp][Ss]?://(?:[^{f}/?#]*@)?(?:\\[\\[*[^{f}/?#@\\[\\]][^{f}/?#@\\]]*\\][^{f}/?#@]*|[^{f}/?#@\\[:][^{f}/?#@]*)(?:[/?#][^{f}]*)?$"
    )
}

/// Annotations the rules alone do not carry: the theme's id and title, and
/// each parameter's title and default. All optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations {
    /// The theme id.
    pub theme_id: Option<String>,
    /// The theme's title.
    pub title: Option<String>,
    /// The theme's description.
    pub description: Option<String>,
    /// Per parameter id (any case): its title and default value.
    pub parameters: BTreeMap<String, ParameterAnnotation>,
}

/// What a form shows for one parameter besides its rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParameterAnnotation {
    /// The parameter's title in the theme.
    pub title: Option<String>,
    /// The value the theme suggests, such as a colour's `defaultColor`.
    pub default: Option<String>,
}

impl Annotations {
    /// Annotations for the theme `theme_id`.
    pub fn new(theme_id: impl Into<String>) -> Self {
        Annotations {
            theme_id: Some(theme_id.into()),
            ..Annotations::default()
        }
    }

    /// Sets the theme's title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the theme's description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets a parameter's title and default.
    pub fn parameter(
        mut self,
        id: &str,
        title: Option<impl Into<String>>,
        default: Option<impl Into<String>>,
    ) -> Self {
        self.parameters.insert(
            id.to_ascii_lowercase(),
            ParameterAnnotation {
                title: title.map(Into::into),
                default: default.map(Into::into),
            },
        );
        self
    }

    fn of(&self, id: &str) -> Option<&ParameterAnnotation> {
        self.parameters.get(&id.to_ascii_lowercase())
    }
}

fn property(param: &ThemeParameter, note: Option<&ParameterAnnotation>) -> (Value, Option<Value>) {
    let mut map = Map::new();
    let mut fetched = None;
    map.insert("type".into(), json!("string"));
    let description = match &param.kind {
        ParameterKind::Text {
            min_length,
            max_length,
            pattern,
        } => {
            if let Some(min) = min_length {
                map.insert("minLength".into(), json!(min));
            }
            if let Some(max) = max_length {
                map.insert("maxLength".into(), json!(max));
            }
            if let Some(pattern) = pattern {
                map.insert("pattern".into(), json!(pattern));
            }
            "A text; lengths count characters (Unicode code points).".to_owned()
        }
        ParameterKind::Color => {
            map.insert("pattern".into(), json!(HEX_COLOR_PATTERN));
            "A colour as 6 hexadecimal digits RRGGBB, without '#'.".to_owned()
        }
        ParameterKind::Picture {
            accept,
            min_width,
            min_height,
        } => {
            map.insert("pattern".into(), json!(http_url_pattern()));
            let mut checks = Map::new();
            if !accept.is_empty() {
                checks.insert("accept".into(), json!(accept));
            }
            if let Some(width) = min_width {
                checks.insert("minWidth".into(), json!(width));
            }
            if let Some(height) = min_height {
                checks.insert("minHeight".into(), json!(height));
            }
            let mut text = "The http:// or https:// URL of a downloadable picture.".to_owned();
            if !checks.is_empty() {
                text.push_str(
                    " Its format and size are checked by fetching it, which a JSON Schema cannot express: see x-checked-by-fetching.",
                );
                fetched = Some(json!({
                    "parameter_id": param.id,
                    "layer": param.layer,
                    "checks": Value::Object(checks.clone()),
                }));
                map.insert("x-checked-by-fetching".into(), Value::Object(checks));
            }
            text
        }
        ParameterKind::Output { layers } => {
            if layers.is_empty() {
                map.insert("not".into(), json!({}));
            } else {
                map.insert("enum".into(), json!(layers));
            }
            "The output variant: one of the theme's output layers.".to_owned()
        }
        ParameterKind::Unknown => {
            "A parameter of a type this version does not know: any text, sent unchecked.".to_owned()
        }
    };
    let title = note
        .and_then(|n| n.title.clone())
        .unwrap_or_else(|| param.layer.clone());
    map.insert("title".into(), json!(title));
    map.insert("description".into(), json!(description));
    if let Some(default) = note.and_then(|n| n.default.as_ref()) {
        map.insert("default".into(), json!(default));
    }
    map.insert("x-parameter-id".into(), json!(param.id));
    map.insert("x-layer".into(), json!(param.layer));
    map.insert("x-parameter-type".into(), json!(param.kind.type_name()));
    (Value::Object(map), fetched)
}

/// The JSON Schema (draft 2020-12) of the values of a theme with the given
/// parameters: an object keyed by parameter id, every value a string, no
/// key required. See the module documentation.
pub fn values_schema(params: &[ThemeParameter], annotations: &Annotations) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut fetched = Vec::new();
    for param in params {
        let (schema, checks) = property(param, annotations.of(&param.id));
        properties.insert(param.id.clone(), schema);
        required.push(json!(param.id));
        fetched.extend(checks);
    }
    let title = match (&annotations.title, &annotations.theme_id) {
        (Some(title), _) => format!("Values of theme {title}"),
        (None, Some(id)) => format!("Values of theme {id}"),
        (None, None) => "Values of a theme".to_owned(),
    };
    let mut description = String::new();
    if let Some(text) = annotations.description.as_deref().filter(|d| !d.is_empty()) {
        description.push_str(text);
        description.push_str("\n\n");
    }
    description.push_str(
        "One property per parameter, keyed by parameter_id. A generation's `values` array is built from it one to one: {\"parameter_id\": key, \"value\": value}. MotionDynamic discards a generation whose values break these rules, so check them before sending.",
    );
    if !fetched.is_empty() {
        description.push_str(
            " Not expressible here: a picture's format and minimum size, checked by fetching it (see x-checked-by-fetching).",
        );
    }
    let mut root = Map::new();
    root.insert("$schema".into(), json!(DRAFT_2020_12));
    root.insert("title".into(), json!(title));
    root.insert("description".into(), json!(description));
    root.insert("type".into(), json!("object"));
    root.insert("properties".into(), Value::Object(properties));
    root.insert("additionalProperties".into(), json!({"type": "string"}));
    root.insert("x-parameter-ids".into(), Value::Array(required));
    if let Some(id) = &annotations.theme_id {
        root.insert("x-theme-id".into(), json!(id));
    }
    if !fetched.is_empty() {
        root.insert("x-checked-by-fetching".into(), Value::Array(fetched));
    }
    Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::http_url;

    #[test]
    fn the_url_pattern_compiles_and_follows_http_url() {
        let pattern = regex::Regex::new(&http_url_pattern()).unwrap();
        for value in [
            "https://imgur.com/download/uNcCrzv",
            "HTTP://example.com",
            "http://user@host:8080/a?b#c",
            "http://[::1]:81/x",
            "https://a@b@c/d",
            "https://x://y",
            "https://",
            "https:///path",
            "https://:80/",
            "https://exa mple.com/",
            "https://a.com/\u{85}",
            "https://a.com/\u{3000}",
            "https://[]/",
            "https://[[x]/",
            "https://[x",
            "ftp://a.com",
            "",
        ] {
            assert_eq!(
                pattern.is_match(value),
                http_url("f", value).is_ok(),
                "{value:?}"
            );
        }
    }
}
