//! MotionDynamic theme-driven validation of generation values.
//!
//! A theme lists parameters (texts, colours, pictures, an output); a
//! generation request sends one value per parameter id. The MotionDynamic
//! documentation asks clients to make sure, before submitting, that text
//! values respect `minLength`/`maxLength` (and `pattern`), colours are hex
//! without `#`, the output value is one of the output parameter's layers,
//! and picture URLs are downloadable in an accepted format; the API silently
//! discards invalid inputs, so [`validate_values`] reports every problem up
//! front. Violations name the parameter's layer (`l3_prix_01`), which users
//! recognise, not its id.
//!
//! These types are independent of any wire format: the models crate converts
//! the theme JSON into [`ThemeParameter`]s.

use serde::{Deserialize, Serialize};

use crate::error::{Findings, Rule, Violation, Violations, excerpt_field};
use crate::output::output_layer;
use crate::picture::{PictureInfo, check_picture, check_picture_name};
use crate::text::{char_length, hex_color, http_url, pattern, uuid_eq};

/// One user-customisable parameter of a theme and its constraints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeParameter {
    /// The parameter id (`parameterType_id`), compared case-insensitively.
    pub id: String,
    /// The layer name, used as the field of every violation. Output
    /// parameters have no layer in the theme JSON; use their title
    /// (`Variante`).
    pub layer: String,
    /// The type and its constraints.
    pub kind: ParameterKind,
}

/// Another name for [`ThemeParameter`].
pub type ParameterRule = ThemeParameter;

/// A theme parameter's type with its constraints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ParameterKind {
    /// A text value (`type: "text"`).
    Text {
        /// `minLength`, in Unicode scalar values.
        min_length: Option<usize>,
        /// `maxLength`, in Unicode scalar values.
        max_length: Option<usize>,
        /// `pattern`, a regular expression the value must match.
        pattern: Option<String>,
    },
    /// A `RRGGBB` colour without `#` (`type: "color"`).
    Color,
    /// A picture URL (`type: "picture"`).
    Picture {
        /// Accepted formats, for example `["png"]`; empty accepts all.
        accept: Vec<String>,
        /// `minWidth` in pixels.
        min_width: Option<u32>,
        /// `minHeight` in pixels.
        min_height: Option<u32>,
    },
    /// The output variant (`type: "output"`).
    Output {
        /// The layers the value must be one of, for example `["MASTER"]`.
        layers: Vec<String>,
    },
    /// A type this version does not know (a newer API's). Its values are
    /// sent unchecked.
    #[serde(other)]
    Unknown,
}

impl ParameterKind {
    /// The theme JSON's `type`: `text`, `color`, `picture` or `output`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ParameterKind::Text { .. } => "text",
            ParameterKind::Color => "color",
            ParameterKind::Picture { .. } => "picture",
            ParameterKind::Output { .. } => "output",
            ParameterKind::Unknown => "unknown",
        }
    }
}

impl ThemeParameter {
    /// A text parameter.
    pub fn text(
        id: impl Into<String>,
        layer: impl Into<String>,
        min_length: Option<usize>,
        max_length: Option<usize>,
        pattern: Option<impl Into<String>>,
    ) -> Self {
        ThemeParameter {
            id: id.into(),
            layer: layer.into(),
            kind: ParameterKind::Text {
                min_length,
                max_length,
                pattern: pattern.map(Into::into),
            },
        }
    }

    /// A colour parameter.
    pub fn color(id: impl Into<String>, layer: impl Into<String>) -> Self {
        ThemeParameter {
            id: id.into(),
            layer: layer.into(),
            kind: ParameterKind::Color,
        }
    }

    /// A picture parameter.
    pub fn picture<S: Into<String>>(
        id: impl Into<String>,
        layer: impl Into<String>,
        accept: impl IntoIterator<Item = S>,
        min_width: Option<u32>,
        min_height: Option<u32>,
    ) -> Self {
        ThemeParameter {
            id: id.into(),
            layer: layer.into(),
            kind: ParameterKind::Picture {
                accept: accept.into_iter().map(Into::into).collect(),
                min_width,
                min_height,
            },
        }
    }

    /// An output parameter; `name` (the title, such as `Variante`) is used
    /// as the layer in violations.
    pub fn output<S: Into<String>>(
        id: impl Into<String>,
        name: impl Into<String>,
        layers: impl IntoIterator<Item = S>,
    ) -> Self {
        ThemeParameter {
            id: id.into(),
            layer: name.into(),
            kind: ParameterKind::Output {
                layers: layers.into_iter().map(Into::into).collect(),
            },
        }
    }

    /// True when `id` is this parameter's id, ignoring ASCII case.
    pub fn has_id(&self, id: &str) -> bool {
        uuid_eq(&self.id, id)
    }
}

/// Checks one value against one parameter's constraints, reporting errors
/// under the parameter's layer.
///
/// Text: length, then pattern (both reported when both fail; an invalid
/// pattern is [`Rule::InvalidPattern`]). Colour: [`Rule::HexColor`].
/// Output: [`Rule::OutputLayer`]. Picture, offline only: the value must be
/// an `http(s)` URL ([`Rule::Syntax`]); its format comes from its bytes,
/// checked with [`check_picture_bytes`] (an extension outside `accept` is
/// only a warning, see [`value_warnings`]). A parameter of a type this
/// version does not know: nothing.
///
/// # Errors
///
/// Every violation found.
pub fn check_value(param: &ThemeParameter, value: &str) -> Result<(), Violations> {
    let field = param.layer.as_str();
    let mut found = Violations::new();
    match &param.kind {
        ParameterKind::Text {
            min_length,
            max_length,
            pattern: regex,
        } => {
            found.record(char_length(field, value, *min_length, *max_length));
            if let Some(regex) = regex {
                found.record(pattern(field, value, regex));
            }
        }
        ParameterKind::Color => {
            found.record(hex_color(field, value));
        }
        ParameterKind::Picture { .. } => {
            found.record(http_url(field, value));
        }
        ParameterKind::Output { layers } => {
            found.record(output_layer(field, value, layers));
        }
        ParameterKind::Unknown => {}
    }
    found.into_result(())
}

/// What this crate infers about one value without the documents saying it,
/// as [`crate::Severity::Warning`]s: a picture URL whose extension is outside
/// `accept` (the bytes decide; `.php` endpoints serve pictures too), and a
/// value for a parameter of a type this version does not know (sent
/// unchecked).
pub fn value_warnings(param: &ThemeParameter, value: &str) -> Vec<Violation> {
    let field = param.layer.as_str();
    let found = match &param.kind {
        ParameterKind::Picture { accept, .. } => {
            check_picture_name(field, value, accept).err().map(|mut v| {
                v.limit = format!(
                    "{}; the picture's bytes decide, so it is sent when they are accepted",
                    v.limit
                );
                v
            })
        }
        ParameterKind::Unknown => Some(Violation::new(
            field,
            Rule::UnknownParameter,
            value,
            format!(
                "a parameter type this version checks (color, picture, text, output); \
                 parameter {} is of another type, so its value is sent unchecked",
                param.id
            ),
        )),
        _ => None,
    };
    found.into_iter().map(Violation::into_warning).collect()
}

/// Checks a generation's values against a theme's parameters and sorts
/// every finding by [`crate::Severity`].
///
/// `values` are `(parameter id, value)` pairs; ids are compared
/// case-insensitively. In the order found:
///
/// - a value for an id the theme does not have: a warning
///   ([`Rule::UnknownParameter`], field = the id as given); the value is
///   sent as given, the API discards what it does not use;
/// - a second value for the same parameter: an error ([`Rule::Duplicate`],
///   field = the layer; the first value is the one checked);
/// - each broken constraint, see [`check_value`] (errors) and
///   [`value_warnings`], field = the layer;
/// - then, in the theme's order, every parameter without a value: a
///   warning ([`Rule::Required`], field = the layer). The documents send a
///   value for every parameter but never say one may be left out, or not.
pub fn check_values<K, V>(params: &[ThemeParameter], values: &[(K, V)]) -> Findings
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut found = Findings::new();
    let mut seen = vec![false; params.len()];
    for (id, value) in values {
        let (id, value) = (id.as_ref(), value.as_ref());
        let Some(index) = params.iter().position(|p| p.has_id(id)) else {
            found.push(
                Violation::new(
                    excerpt_field(id),
                    Rule::UnknownParameter,
                    value,
                    "a parameter id of the theme; not one, so it is sent as given",
                )
                .into_warning(),
            );
            continue;
        };
        let param = &params[index];
        if std::mem::replace(&mut seen[index], true) {
            found.push(Violation::new(
                &param.layer,
                Rule::Duplicate,
                value,
                format!("one value for parameter {}", param.id),
            ));
            continue;
        }
        if let Err(broken) = check_value(param, value) {
            found.extend(broken);
        }
        found.extend(value_warnings(param, value));
    }
    for (param, seen) in params.iter().zip(seen) {
        if !seen {
            found.push(
                Violation::new(
                    &param.layer,
                    Rule::Required,
                    "",
                    format!(
                        "a {} value for parameter {} (the documents send every parameter)",
                        param.kind.type_name(),
                        param.id
                    ),
                )
                .into_warning(),
            );
        }
    }
    found
}

/// The errors of [`check_values`]: the rules the documents state.
///
/// # Errors
///
/// Every error found.
pub fn validate_values<K, V>(params: &[ThemeParameter], values: &[(K, V)]) -> Result<(), Violations>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    check_values(params, values).errors.into_result(())
}

/// Finds the parameter a user means by `key`: its id (any case), else its
/// layer name exactly, else its layer name ignoring case when only one
/// parameter matches that way.
pub fn resolve<'a>(params: &'a [ThemeParameter], key: &str) -> Option<&'a ThemeParameter> {
    if let Some(found) = params.iter().find(|p| p.has_id(key)) {
        return Some(found);
    }
    if let Some(found) = params.iter().find(|p| p.layer == key) {
        return Some(found);
    }
    let mut loose = params.iter().filter(|p| p.layer.eq_ignore_ascii_case(key));
    match (loose.next(), loose.next()) {
        (Some(found), None) => Some(found),
        _ => None,
    }
}

/// Turns `(layer name or id, value)` pairs typed by a user into
/// `(parameter id, value)` pairs ready for [`validate_values`] and the
/// generation request, using [`resolve`].
///
/// # Errors
///
/// [`Rule::UnknownParameter`] for every key that names no parameter, field =
/// the key.
pub fn resolve_values<K, V>(
    params: &[ThemeParameter],
    values: &[(K, V)],
) -> Result<Vec<(String, String)>, Violations>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut found = Violations::new();
    let mut out = Vec::with_capacity(values.len());
    for (key, value) in values {
        match resolve(params, key.as_ref()) {
            Some(param) => out.push((param.id.clone(), value.as_ref().to_owned())),
            None => {
                let layers: Vec<&str> = params.iter().map(|p| p.layer.as_str()).collect();
                found.push(Violation::new(
                    excerpt_field(key.as_ref()),
                    Rule::UnknownParameter,
                    value.as_ref(),
                    format!("a layer name or parameter id: {}", layers.join(", ")),
                ));
            }
        }
    }
    found.into_result(out)
}

/// Checks fetched picture bytes against a theme's picture parameter: its
/// `accept` list and minimum size, reporting under the parameter's layer
/// name. Use this after downloading the first bytes of the URL that
/// [`validate_values`] checked offline.
///
/// # Errors
///
/// As [`check_picture`]; a parameter that is not a picture parameter gives
/// one [`Rule::Conflict`].
pub fn check_picture_bytes(
    param: &ThemeParameter,
    url: &str,
    header: &[u8],
) -> Result<PictureInfo, Violations> {
    match &param.kind {
        ParameterKind::Picture {
            accept,
            min_width,
            min_height,
        } => check_picture(&param.layer, header, accept, *min_width, *min_height),
        other => Err(Violation::new(
            &param.layer,
            Rule::Conflict,
            url,
            format!(
                "a picture parameter (this is a {} parameter)",
                other.type_name()
            ),
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "Product demo" theme from the MotionDynamic getting-started doc.
    fn demo_theme() -> Vec<ThemeParameter> {
        let text = |id: &str, layer: &str, max: usize| {
            ThemeParameter::text(id, layer, Some(1), Some(max), None::<String>)
        };
        vec![
            ThemeParameter::color("afcad4e5-d951-43a1-8a59-889f97b357b5", "background_color"),
            ThemeParameter::picture(
                "867b9e64-0869-4631-be06-426eb46daf0d",
                "image_produit",
                ["png"],
                Some(1200),
                Some(680),
            ),
            text("ab254fb9-58ca-4378-a833-2995a1a59178", "l6_ville_01", 12),
            text("92d28875-1314-4be9-8c62-7e03e536abfd", "l2_date_01", 12),
            text("32985e30-40d4-4af9-ba33-ee02d1d77484", "l1_titre_01", 7),
            text("aef50e6b-bf20-4222-a4de-fe38218e1916", "l4_quantite_01", 8),
            text(
                "91359d71-2c65-499b-a409-d51d862589d6",
                "l5_descriptif_01",
                25,
            ),
            text(
                "4de8eff8-c892-4e6d-a439-8b67ba81345d",
                "l5_descriptif_02",
                25,
            ),
            text(
                "8b74142c-6cc3-4c8a-8520-825ef76b3d52",
                "l5_descriptif_03",
                25,
            ),
            ThemeParameter::text(
                "e473471d-e715-4829-b096-15d055bc1fa7",
                "l3_prix_01",
                Some(1),
                Some(5),
                Some(r"^[0-9\.]+$"),
            ),
            ThemeParameter::output(
                "6e97e46d-b0a3-48dd-a7dd-208d28e074a3",
                "Variante",
                ["MASTER"],
            ),
        ]
    }

    fn demo_values() -> Vec<(String, String)> {
        [
            ("city_01", "ab254fb9-58ca-4378-a833-2995a1a59178"),
            ("date_01", "92d28875-1314-4be9-8c62-7e03e536abfd"),
            ("title", "32985e30-40d4-4af9-ba33-ee02d1d77484"),
            ("12.1", "e473471d-e715-4829-b096-15d055bc1fa7"),
            ("quantite", "aef50e6b-bf20-4222-a4de-fe38218e1916"),
            ("desc_01", "91359d71-2c65-499b-a409-d51d862589d6"),
            ("desc_02", "4de8eff8-c892-4e6d-a439-8b67ba81345d"),
            ("desc_03", "8b74142c-6cc3-4c8a-8520-825ef76b3d52"),
            ("0000FF", "afcad4e5-d951-43a1-8a59-889f97b357b5"),
            (
                "https://imgur.com/download/uNcCrzv",
                "867b9e64-0869-4631-be06-426eb46daf0d",
            ),
            ("MASTER", "6e97e46d-b0a3-48dd-a7dd-208d28e074a3"),
        ]
        .into_iter()
        .map(|(value, id)| (id.to_owned(), value.to_owned()))
        .collect()
    }

    fn set(values: &mut [(String, String)], layer_id: &str, value: &str) {
        for (id, v) in values.iter_mut() {
            if id == layer_id {
                *v = value.to_owned();
            }
        }
    }

    #[test]
    fn the_doc_request_passes() {
        assert_eq!(validate_values(&demo_theme(), &demo_values()), Ok(()));
    }

    #[test]
    fn ids_compare_case_insensitively() {
        let mut values = demo_values();
        for (id, _) in &mut values {
            *id = id.to_uppercase();
        }
        assert_eq!(validate_values(&demo_theme(), &values), Ok(()));
    }

    #[test]
    fn prix_with_a_comma_fails_on_its_layer() {
        let mut values = demo_values();
        set(&mut values, "e473471d-e715-4829-b096-15d055bc1fa7", "12,1");
        let err = validate_values(&demo_theme(), &values).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err.0[0].field, "l3_prix_01");
        assert_eq!(err.0[0].rule, Rule::Pattern);
        assert_eq!(err.0[0].value, "12,1");
    }

    #[test]
    fn every_problem_is_reported() {
        let mut values = demo_values();
        set(
            &mut values,
            "32985e30-40d4-4af9-ba33-ee02d1d77484",
            "too long title",
        );
        set(
            &mut values,
            "afcad4e5-d951-43a1-8a59-889f97b357b5",
            "#0000FF",
        );
        set(&mut values, "6e97e46d-b0a3-48dd-a7dd-208d28e074a3", "OTHER");
        set(
            &mut values,
            "867b9e64-0869-4631-be06-426eb46daf0d",
            "imgur.com/x.png",
        );
        set(
            &mut values,
            "e473471d-e715-4829-b096-15d055bc1fa7",
            "123,456",
        );
        values.retain(|(id, _)| id != "ab254fb9-58ca-4378-a833-2995a1a59178");
        values.push(("00000000-0000-0000-0000-000000000000".into(), "x".into()));
        values.push((
            "91359d71-2c65-499b-a409-d51d862589d6".into(),
            "again".into(),
        ));
        let found = check_values(&demo_theme(), &values);
        let got: Vec<(&str, Rule)> = found
            .errors
            .iter()
            .map(|v| (v.field.as_str(), v.rule))
            .collect();
        assert_eq!(
            got,
            [
                ("l1_titre_01", Rule::MaxLength),
                ("l3_prix_01", Rule::MaxLength),
                ("l3_prix_01", Rule::Pattern),
                ("background_color", Rule::HexColor),
                ("image_produit", Rule::Syntax),
                ("Variante", Rule::OutputLayer),
                ("l5_descriptif_01", Rule::Duplicate),
            ]
        );
        // What the documents do not say fails is a warning, not an error.
        let warned: Vec<(&str, Rule)> = found
            .warnings
            .iter()
            .map(|v| (v.field.as_str(), v.rule))
            .collect();
        assert_eq!(
            warned,
            [
                (
                    "00000000-0000-0000-0000-000000000000",
                    Rule::UnknownParameter
                ),
                ("l6_ville_01", Rule::Required),
            ]
        );
        assert!(found.warnings.iter().all(Violation::is_warning));
        assert_eq!(
            validate_values(&demo_theme(), &values).unwrap_err(),
            found.errors
        );
    }

    #[test]
    fn picture_extension_is_only_a_warning_offline() {
        let mut values = demo_values();
        set(
            &mut values,
            "867b9e64-0869-4631-be06-426eb46daf0d",
            "https://example.com/photo.php",
        );
        let found = check_values(&demo_theme(), &values);
        assert!(found.errors.is_empty(), "{}", found.errors);
        assert_eq!(found.warnings.len(), 1);
        assert_eq!(found.warnings[0].rule, Rule::PictureFormat);
        assert_eq!(found.warnings[0].field, "image_produit");
    }

    #[test]
    fn parameters_of_unknown_types_are_sent_unchecked() {
        let params: Vec<ThemeParameter> =
            serde_json::from_str(r#"[{"id": "p1", "layer": "clip", "kind": {"type": "video"}}]"#)
                .unwrap();
        assert_eq!(params[0].kind, ParameterKind::Unknown);
        let found = check_values(&params, &[("p1", "anything")]);
        assert!(found.errors.is_empty());
        assert_eq!(found.warnings.len(), 1);
        assert_eq!(found.warnings[0].rule, Rule::UnknownParameter);
    }

    #[test]
    fn invalid_theme_pattern_is_reported() {
        let params = [ThemeParameter::text("p", "l", None, None, Some("([a-"))];
        let err = validate_values(&params, &[("p", "x")]).unwrap_err();
        assert_eq!(err.0[0].rule, Rule::InvalidPattern);
        assert_eq!(err.0[0].field, "l");
    }

    #[test]
    fn resolving_keys() {
        let theme = demo_theme();
        assert_eq!(
            resolve(&theme, "l3_prix_01").unwrap().id,
            "e473471d-e715-4829-b096-15d055bc1fa7"
        );
        assert_eq!(resolve(&theme, "L3_PRIX_01").unwrap().layer, "l3_prix_01");
        assert_eq!(
            resolve(&theme, "E473471D-E715-4829-B096-15D055BC1FA7")
                .unwrap()
                .layer,
            "l3_prix_01"
        );
        assert!(resolve(&theme, "nope").is_none());
        let resolved =
            resolve_values(&theme, &[("l3_prix_01", "12.1"), ("Variante", "MASTER")]).unwrap();
        assert_eq!(
            resolved,
            [
                (
                    "e473471d-e715-4829-b096-15d055bc1fa7".to_owned(),
                    "12.1".to_owned()
                ),
                (
                    "6e97e46d-b0a3-48dd-a7dd-208d28e074a3".to_owned(),
                    "MASTER".to_owned()
                ),
            ]
        );
        let err = resolve_values(&theme, &[("nope", "1")]).unwrap_err();
        assert_eq!(err.0[0].rule, Rule::UnknownParameter);
        assert_eq!(err.0[0].field, "nope");
    }
}
