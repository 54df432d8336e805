use motionkit_validation::Rule;
use motionkit_validation::output_layer;
use proptest::prelude::*;

use crate::fr;

fn layers() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[A-Z][A-Z0-9_]{0,7}", 1..5)
}

proptest! {
    #[test]
    fn a_layer_passes((layers, pick) in layers().prop_flat_map(|l| { let n = l.len(); (Just(l), 0..n) })) {
        prop_assert!(output_layer("Variante", &layers[pick], &layers).is_ok());
    }

    #[test]
    fn anything_else_fails(layers in layers(), value in ".{0,10}") {
        prop_assume!(!layers.contains(&value));
        let err = output_layer("Variante", &value, &layers).unwrap_err();
        prop_assert_eq!(fr(&err), ("Variante".to_owned(), Rule::OutputLayer));
        // Case matters: MASTER is not master.
        let lower = layers[0].to_lowercase();
        if !layers.contains(&lower) {
            prop_assert!(output_layer("Variante", &lower, &layers).is_err());
        }
    }
}
