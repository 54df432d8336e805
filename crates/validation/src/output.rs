//! The rule for MotionDynamic output values: one of the theme's layers.

use crate::error::{Rule, Violation};

/// Checks that `value` is exactly (case-sensitively) one of `layers`, the
/// layers of a theme's output parameter (for example `MASTER`).
///
/// # Errors
///
/// [`Rule::OutputLayer`] naming `field`, with a limit listing the layers.
pub fn output_layer<S: AsRef<str>>(
    field: &str,
    value: &str,
    layers: &[S],
) -> Result<(), Violation> {
    if layers.iter().any(|layer| layer.as_ref() == value) {
        Ok(())
    } else {
        let names: Vec<&str> = layers.iter().map(AsRef::as_ref).collect();
        Err(Violation::new(
            field,
            Rule::OutputLayer,
            value,
            format!("one of the output layers: {}", names.join(", ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_layer() {
        let layers = vec!["MASTER".to_owned()];
        assert!(output_layer("Variante", "MASTER", &layers).is_ok());
        let err = output_layer("Variante", "master", &layers).unwrap_err();
        assert_eq!(err.rule, Rule::OutputLayer);
        assert_eq!(err.field, "Variante");
        assert_eq!(err.limit, "one of the output layers: MASTER");
        assert!(output_layer("Variante", "", &layers).is_err());
        assert!(output_layer::<&str>("Variante", "MASTER", &[]).is_err());
    }
}
