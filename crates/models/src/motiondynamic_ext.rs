//! Hand-written helpers on the generated MotionDynamic types.

use motionkit_validation::ThemeParameter as Rule;

use crate::motiondynamic::{ParameterType, Theme, ThemeParameter};

impl ThemeParameter {
    /// The parameter id sent as `parameter_id`.
    pub fn id(&self) -> &str {
        &self.parameter.parameter_type_id
    }

    /// The name users know the parameter by: its layer, or for an output
    /// parameter (which has none) its title, or else its id.
    pub fn display_name(&self) -> &str {
        self.parameter
            .layer
            .as_deref()
            .or(self.parameter.title.as_deref())
            .unwrap_or(self.id())
    }

    /// The validation rule for this parameter; a parameter type this
    /// version does not know gets [`motionkit_validation::ParameterKind::Unknown`],
    /// whose values are sent unchecked.
    pub fn rule(&self) -> Rule {
        let p = &self.parameter;
        let to_usize = |v: Option<i64>| v.and_then(|v| usize::try_from(v).ok());
        let to_u32 = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok());
        match &self.kind {
            ParameterType::Text => Rule::text(
                self.id(),
                self.display_name(),
                to_usize(p.min_length),
                to_usize(p.max_length),
                p.pattern.clone().flatten(),
            ),
            ParameterType::Color => Rule::color(self.id(), self.display_name()),
            ParameterType::Picture => Rule::picture(
                self.id(),
                self.display_name(),
                p.accept.clone().unwrap_or_default(),
                to_u32(p.min_width),
                to_u32(p.min_height),
            ),
            ParameterType::Output => Rule::output(
                self.id(),
                self.display_name(),
                p.layers.clone().unwrap_or_default(),
            ),
            ParameterType::Unknown(_) => Rule {
                id: self.id().to_owned(),
                layer: self.display_name().to_owned(),
                kind: motionkit_validation::ParameterKind::Unknown,
            },
        }
    }
}

impl Theme {
    /// Validation rules of every parameter, and the display names of those
    /// whose type this version does not know (their rules check nothing).
    pub fn rules(&self) -> (Vec<Rule>, Vec<String>) {
        let mut rules = Vec::new();
        let mut unknown = Vec::new();
        for parameter in self.parameters.iter().flatten() {
            if matches!(parameter.kind, ParameterType::Unknown(_)) {
                unknown.push(parameter.display_name().to_owned());
            }
            rules.push(parameter.rule());
        }
        (rules, unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motionkit_validation::{ParameterKind, validate_values};

    fn demo() -> Theme {
        crate::decode(include_str!(
            "../specs/examples/motiondynamic/demo_theme.json"
        ))
        .unwrap()
    }

    #[test]
    fn demo_theme_becomes_eleven_rules() {
        let (rules, unknown) = demo().rules();
        assert_eq!(rules.len(), 11);
        assert!(unknown.is_empty());
        let price = rules.iter().find(|r| r.layer == "l3_prix_01").unwrap();
        assert_eq!(
            price.kind,
            ParameterKind::Text {
                min_length: Some(1),
                max_length: Some(5),
                pattern: Some("^[0-9\\.]+$".into())
            }
        );
        let output = rules.iter().find(|r| r.layer == "Variante").unwrap();
        assert!(matches!(&output.kind, ParameterKind::Output { layers } if layers == &["MASTER"]));
    }

    #[test]
    fn the_documents_own_values_pass_the_demo_rules() {
        let request: crate::motiondynamic::GenerationRequest = crate::decode(include_str!(
            "../specs/examples/motiondynamic/generation_request.json"
        ))
        .unwrap();
        let values: Vec<(String, String)> = request
            .values
            .iter()
            .map(|v| (v.parameter_id.clone(), v.value.clone()))
            .collect();
        let (rules, _) = demo().rules();
        validate_values(&rules, &values).unwrap();

        let mut broken = values.clone();
        broken[3].1 = "12,1".into();
        let err = validate_values(&rules, &broken).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err.0[0].field, "l3_prix_01");
    }
}
