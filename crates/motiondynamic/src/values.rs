//! Theme-driven generation values: users name parameters by layer (such as
//! `l3_prix_01`) or by id, and nothing is sent until every value passes the
//! theme's rules.
//!
//! ```
//! use motionkit_motiondynamic::GenerationValues;
//! # let theme: motionkit_models::motiondynamic::Theme = motionkit_models::decode(
//! #     include_str!("../specs/examples/motiondynamic/demo_theme.json")).unwrap();
//! let values = GenerationValues::new(&theme)
//!     .set("l3_prix_01", "12,1")
//!     .set("background_color", "#0000FF");
//! let findings = values.validate();
//! // Both broken values, at once.
//! assert_eq!(findings.errors.len(), 2);
//! // The nine parameters without a value are warnings: the documents never
//! // say a value may be left out, nor that it may not.
//! assert_eq!(findings.warnings.len(), 9);
//! ```

use motionkit_models::motiondynamic::{GenerationRequest, GenerationValue, Theme};
use motionkit_validation::{Findings, Violation, Violations};
use motionkit_validation::{ParameterKind, ThemeParameter};

/// User values for one theme, checked against its parameters.
#[derive(Debug, Clone)]
pub struct GenerationValues {
    theme_id: String,
    rules: Vec<ThemeParameter>,
    entries: Vec<(String, String)>,
}

impl GenerationValues {
    /// Values for `theme`, none set yet.
    pub fn new(theme: &Theme) -> Self {
        let (rules, _) = theme.rules();
        GenerationValues {
            theme_id: theme.theme_id.clone(),
            rules,
            entries: Vec::new(),
        }
    }

    /// Sets a value; `key` is a layer name (output parameters go by their
    /// title, such as `Variante`) or a parameter id in any case.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.entries.push((key.into(), value.into()));
        self
    }

    /// The theme's id.
    pub fn theme_id(&self) -> &str {
        &self.theme_id
    }

    /// The theme's rules.
    pub fn rules(&self) -> &[ThemeParameter] {
        &self.rules
    }

    /// Checks everything that can be checked without the network and
    /// returns every finding at once, sorted by severity (see
    /// [`motionkit_validation::check_values`]): errors block,
    /// warnings (a missing parameter, an unknown parameter id, a picture
    /// URL whose extension is outside `accept`, a parameter type this
    /// version does not know) never do. A key that is neither a layer name
    /// nor a parameter id of the theme is an error, since it cannot be sent;
    /// an unknown id in UUID form is sent as given, with a warning.
    pub fn validate(&self) -> Findings {
        self.resolve().0
    }

    /// The findings and the values as they will be sent.
    pub(crate) fn resolve(&self) -> (Findings, Vec<GenerationValue>) {
        let mut found = Findings::new();
        let mut resolved: Vec<(String, String)> = Vec::with_capacity(self.entries.len());
        for (key, value) in &self.entries {
            match motionkit_validation::resolve(&self.rules, key) {
                Some(param) => resolved.push((param.id.clone(), value.clone())),
                None if motionkit_validation::uuid("parameter_id", key).is_ok() => {
                    resolved.push((key.clone(), value.clone()));
                }
                None => {
                    if let Err(unknown) =
                        motionkit_validation::resolve_values(&self.rules, &[(key, value)])
                    {
                        found.extend(unknown);
                    }
                }
            }
        }
        found.merge(motionkit_validation::check_values(&self.rules, &resolved));
        let mut values: Vec<GenerationValue> = self
            .rules
            .iter()
            .filter_map(|rule| {
                resolved
                    .iter()
                    .find(|(id, _)| rule.has_id(id))
                    .map(|(_, value)| GenerationValue {
                        value: value.clone(),
                        parameter_id: rule.id.clone(),
                    })
            })
            .collect();
        values.extend(
            resolved
                .iter()
                .filter(|(id, _)| !self.rules.iter().any(|r| r.has_id(id)))
                .map(|(id, value)| GenerationValue {
                    value: value.clone(),
                    parameter_id: id.clone(),
                }),
        );
        (found, values)
    }

    /// The warnings of [`GenerationValues::validate`]: reported, never
    /// blocking.
    pub fn warnings(&self) -> Vec<Violation> {
        self.validate().warnings
    }

    /// The values as they will be sent, in the theme's parameter order
    /// (values for ids the theme does not have last), when no error of
    /// [`GenerationValues::validate`] blocks them. Picture URLs are checked
    /// for their syntax only; the client fetches their first bytes before
    /// sending. Warnings do not block.
    ///
    /// # Errors
    ///
    /// Every error [`GenerationValues::validate`] finds.
    pub fn to_values(&self) -> Result<Vec<GenerationValue>, Violations> {
        let (found, values) = self.resolve();
        found.errors.into_result(values)
    }

    /// Picture parameters and the URLs given for them, to fetch and check.
    pub fn pictures(&self) -> Vec<(&ThemeParameter, &str)> {
        self.rules
            .iter()
            .filter(|r| matches!(r.kind, ParameterKind::Picture { .. }))
            .filter_map(|rule| {
                self.entries
                    .iter()
                    .find(|(k, _)| {
                        motionkit_validation::resolve(&self.rules, k)
                            .is_some_and(|p| p.id == rule.id)
                    })
                    .map(|(_, url)| (rule, url.as_str()))
            })
            .collect()
    }

    /// The request body for `webhook`, when no error of
    /// [`GenerationValues::validate`] blocks it.
    ///
    /// # Errors
    ///
    /// Every error [`GenerationValues::validate`] finds.
    pub fn request(&self, webhook: impl Into<String>) -> Result<GenerationRequest, Violations> {
        Ok(GenerationRequest {
            theme_id: self.theme_id.clone(),
            webhook: webhook.into(),
            values: self.to_values()?,
        })
    }
}

/// The JSON Schema of a theme's values, annotated with the theme's titles
/// and default colours: what `motionkit themes ID --json-schema` prints
/// and the Python package's `theme_schema` returns.
pub fn theme_values_schema(theme: &motionkit_models::motiondynamic::Theme) -> serde_json::Value {
    let (rules, _) = theme.rules();
    let mut notes = motionkit_validation::Annotations::new(&theme.theme_id);
    if let Some(title) = &theme.title {
        notes = notes.title(title);
    }
    if let Some(description) = &theme.description {
        notes = notes.description(description);
    }
    for parameter in theme.parameters.iter().flatten() {
        let def = &parameter.parameter;
        notes = notes.parameter(
            parameter.id(),
            def.title.as_deref(),
            def.default_color.as_deref(),
        );
    }
    motionkit_validation::values_schema(&rules, &notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use motionkit_validation::Rule;

    fn demo() -> Theme {
        motionkit_models::decode(include_str!(
            "../specs/examples/motiondynamic/demo_theme.json"
        ))
        .unwrap()
    }

    fn documented_values() -> GenerationValues {
        GenerationValues::new(&demo())
            .set("ab254fb9-58ca-4378-a833-2995a1a59178", "city_01")
            .set("l2_date_01", "date_01")
            .set("l1_titre_01", "title")
            .set("E473471D-E715-4829-B096-15D055BC1FA7", "12.1")
            .set("l4_quantite_01", "quantite")
            .set("l5_descriptif_01", "desc_01")
            .set("l5_descriptif_02", "desc_02")
            .set("l5_descriptif_03", "desc_03")
            .set("background_color", "0000FF")
            .set("image_produit", "https://imgur.com/download/uNcCrzv")
            .set("Variante", "MASTER")
    }

    #[test]
    fn documented_values_by_layer_or_id_pass_in_theme_order() {
        let request = documented_values()
            .request("https://example.com/hook")
            .unwrap();
        assert_eq!(request.values.len(), 11);
        assert_eq!(
            request.values[0].parameter_id,
            "afcad4e5-d951-43a1-8a59-889f97b357b5"
        );
        assert_eq!(request.values[0].value, "0000FF");
        let price = request
            .values
            .iter()
            .find(|v| v.parameter_id == "e473471d-e715-4829-b096-15d055bc1fa7")
            .unwrap();
        assert_eq!(price.value, "12.1");
    }

    #[test]
    fn every_problem_is_reported_with_field_rule_and_value() {
        let values = documented_values()
            .set("l1_titre_01", "much too long")
            .set("nope", "x")
            .set("Variante", "SQUARE");
        let problems = values.validate().errors;
        let found: Vec<(String, Rule)> =
            problems.iter().map(|v| (v.field.clone(), v.rule)).collect();
        assert!(
            found.contains(&("nope".into(), Rule::UnknownParameter)),
            "{problems}"
        );
        assert!(
            found.contains(&("l1_titre_01".into(), Rule::Duplicate)),
            "{problems}"
        );
        assert!(
            found.contains(&("Variante".into(), Rule::Duplicate)),
            "{problems}"
        );
        let unknown = problems.iter().find(|v| v.field == "nope").unwrap();
        assert_eq!(unknown.value, "x");
        assert!(unknown.limit.contains("l3_prix_01"), "{}", unknown.limit);
    }

    #[test]
    fn pictures_are_listed_for_fetching() {
        let values = documented_values();
        let pictures = values.pictures();
        assert_eq!(pictures.len(), 1);
        assert_eq!(pictures[0].0.layer, "image_produit");
        assert_eq!(pictures[0].1, "https://imgur.com/download/uNcCrzv");
    }
}
