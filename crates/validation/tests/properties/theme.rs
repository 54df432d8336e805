use motionkit_validation::check_picture_bytes;
use motionkit_validation::{
    ParameterKind, ThemeParameter, check_value, check_values, resolve, resolve_values,
    validate_values,
};
use motionkit_validation::{Rule, Violations};
use proptest::prelude::*;
use proptest::sample::{Index, select};

use crate::frs;

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

fn text_of(min: usize, max: usize) -> BoxedStrategy<String> {
    let ch = prop_oneof![
        proptest::char::range('a', 'z'),
        select(vec!['é', '\u{301}', '中', '😀', ' ', '_', '0']),
    ];
    prop::collection::vec(ch, min..=max)
        .prop_map(|c| c.into_iter().collect())
        .boxed()
}

/// A valid value for one parameter.
fn valid_value(param: &ThemeParameter) -> BoxedStrategy<String> {
    match &param.kind {
        ParameterKind::Text {
            pattern: Some(_),
            max_length,
            ..
        } => prop::collection::vec(
            select(vec!['0', '1', '9', '.']),
            1..=max_length.unwrap_or(5),
        )
        .prop_map(|c| c.into_iter().collect())
        .boxed(),
        ParameterKind::Text {
            min_length,
            max_length,
            ..
        } => text_of(min_length.unwrap_or(0), max_length.unwrap_or(30)),
        ParameterKind::Color => "[0-9a-fA-F]{6}".boxed(),
        ParameterKind::Picture { .. } => {
            "https://[a-z]{1,8}\\.test/[a-z0-9]{1,8}(\\.(png|PNG))?".boxed()
        }
        ParameterKind::Output { layers } => select(layers.clone()).boxed(),
        ParameterKind::Unknown => ".{0,8}".boxed(),
    }
}

fn random_case(s: String) -> BoxedStrategy<String> {
    prop::collection::vec(any::<bool>(), s.len())
        .prop_map(move |up| {
            s.chars()
                .zip(up)
                .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
                .collect()
        })
        .boxed()
}

/// Valid `(id, value)` pairs for the demo theme, ids in random case, in
/// random order.
fn valid_values() -> impl Strategy<Value = Vec<(String, String)>> {
    let pairs: Vec<BoxedStrategy<(String, String)>> = demo_theme()
        .iter()
        .map(|p| (random_case(p.id.clone()), valid_value(p)).boxed())
        .collect();
    pairs.prop_shuffle()
}

fn layer_of(id: &str) -> String {
    demo_theme()
        .into_iter()
        .find(|p| p.id.eq_ignore_ascii_case(id))
        .map(|p| p.layer)
        .unwrap()
}

fn one(field: &str, rule: Rule) -> Vec<(String, Rule)> {
    vec![(field.to_owned(), rule)]
}

fn replace(values: &mut [(String, String)], layer: &str, value: String) {
    for (id, v) in values.iter_mut() {
        if layer_of(id) == layer {
            *v = value.clone();
        }
    }
}

proptest! {
    #[test]
    fn valid_values_pass(values in valid_values()) {
        prop_assert_eq!(validate_values(&demo_theme(), &values), Ok(()));
    }

    #[test]
    fn missing_values_are_a_warning(values in valid_values(), drop in any::<Index>()) {
        let mut values = values;
        let (id, _) = values.remove(drop.index(values.len()));
        prop_assert!(validate_values(&demo_theme(), &values).is_ok());
        let found = check_values(&demo_theme(), &values);
        prop_assert_eq!(frs(&Violations(found.warnings)), one(&layer_of(&id), Rule::Required));
    }

    #[test]
    fn unknown_ids_are_reported(values in valid_values(), id in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value in ".{0,5}") {
        prop_assume!(demo_theme().iter().all(|p| !p.has_id(&id)));
        let mut values = values;
        values.push((id.clone(), value));
        prop_assert!(validate_values(&demo_theme(), &values).is_ok());
        let found = check_values(&demo_theme(), &values);
        prop_assert_eq!(frs(&Violations(found.warnings)), one(&id, Rule::UnknownParameter));
    }

    #[test]
    fn duplicates_are_reported(values in valid_values(), pick in any::<Index>(), upper in any::<bool>()) {
        let mut values = values;
        let (id, value) = values[pick.index(values.len())].clone();
        let id2 = if upper { id.to_uppercase() } else { id.to_lowercase() };
        values.push((id2, value));
        let err = validate_values(&demo_theme(), &values).unwrap_err();
        prop_assert_eq!(frs(&err), one(&layer_of(&id), Rule::Duplicate));
    }

    #[test]
    fn texts_too_long_fail(
        values in valid_values(),
        layer in select(vec!["l6_ville_01", "l2_date_01", "l1_titre_01", "l4_quantite_01", "l5_descriptif_02"]),
        extra in 1usize..5,
    ) {
        let theme = demo_theme();
        let param = resolve(&theme, layer).unwrap();
        let ParameterKind::Text { max_length: Some(max), .. } = param.kind else { unreachable!() };
        // Combining accents count as characters of their own.
        let value = "e\u{301}".repeat(max + extra).chars().take(max + extra).collect();
        let mut values = values;
        replace(&mut values, layer, value);
        let err = validate_values(&theme, &values).unwrap_err();
        prop_assert_eq!(frs(&err), one(layer, Rule::MaxLength));
    }

    #[test]
    fn texts_exactly_at_max_pass(values in valid_values(), layer in select(vec!["l1_titre_01", "l4_quantite_01"])) {
        let theme = demo_theme();
        let ParameterKind::Text { max_length: Some(max), .. } = resolve(&theme, layer).unwrap().kind else { unreachable!() };
        let value: String = "e\u{301}".repeat(max).chars().take(max).collect();
        let mut values = values;
        replace(&mut values, layer, value);
        prop_assert_eq!(validate_values(&theme, &values), Ok(()));
    }

    #[test]
    fn empty_texts_fail(values in valid_values(), layer in select(vec!["l6_ville_01", "l5_descriptif_03"])) {
        let mut values = values;
        replace(&mut values, layer, String::new());
        let err = validate_values(&demo_theme(), &values).unwrap_err();
        prop_assert_eq!(frs(&err), one(layer, Rule::MinLength));
    }

    #[test]
    fn prix_with_other_characters_fails(values in valid_values(), head in "[0-9]{1,2}", bad in "[,a-z €]") {
        let mut values = values;
        replace(&mut values, "l3_prix_01", format!("{head}{bad}"));
        let err = validate_values(&demo_theme(), &values).unwrap_err();
        prop_assert_eq!(frs(&err), one("l3_prix_01", Rule::Pattern));
    }

    #[test]
    fn bad_colors_fail(values in valid_values(), color in prop_oneof!["#[0-9a-fA-F]{6}", "[0-9a-fA-F]{5}", "[0-9a-fA-F]{7}", "[g-z]{6}"]) {
        let mut values = values;
        replace(&mut values, "background_color", color);
        let err = validate_values(&demo_theme(), &values).unwrap_err();
        prop_assert_eq!(frs(&err), one("background_color", Rule::HexColor));
    }

    #[test]
    fn other_outputs_fail(values in valid_values(), output in "[A-Za-z]{0,8}") {
        prop_assume!(output != "MASTER");
        let mut values = values;
        replace(&mut values, "Variante", output);
        let err = validate_values(&demo_theme(), &values).unwrap_err();
        prop_assert_eq!(frs(&err), one("Variante", Rule::OutputLayer));
    }

    #[test]
    fn pictures_must_be_http_urls(values in valid_values(), url in prop_oneof!["[a-z]{1,8}\\.test/[a-z]{1,5}\\.png", "ftp://[a-z]{1,8}/a\\.png", "https://"]) {
        let mut values = values;
        replace(&mut values, "image_produit", url);
        let err = validate_values(&demo_theme(), &values).unwrap_err();
        prop_assert_eq!(frs(&err), one("image_produit", Rule::Syntax));
    }

    #[test]
    fn pictures_with_other_extensions_are_a_warning(values in valid_values(), ext in select(vec!["jpg", "gif", "webp", "php"])) {
        let mut values = values;
        replace(&mut values, "image_produit", format!("https://x.test/pic.{ext}"));
        prop_assert!(validate_values(&demo_theme(), &values).is_ok());
        let found = check_values(&demo_theme(), &values);
        prop_assert_eq!(frs(&Violations(found.warnings)), one("image_produit", Rule::PictureFormat));
    }

    #[test]
    fn picture_bytes_are_checked_against_the_parameter(w in 1u32..3000, h in 1u32..2000) {
        let theme = demo_theme();
        let param = resolve(&theme, "image_produit").unwrap();
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&w.to_be_bytes());
        png.extend_from_slice(&h.to_be_bytes());
        let result = check_picture_bytes(param, "https://x.test/a", &png);
        if w >= 1200 && h >= 680 {
            prop_assert_eq!(result.map(|i| (i.width, i.height)), Ok((w, h)));
        } else {
            prop_assert_eq!(frs(&result.unwrap_err()), one("image_produit", Rule::PictureSize));
        }
    }

    #[test]
    fn keys_resolve_by_layer_or_id(pick in any::<Index>(), by_id in any::<bool>(), upper in any::<bool>()) {
        let theme = demo_theme();
        let param = &theme[pick.index(theme.len())];
        let key = if by_id { param.id.clone() } else { param.layer.clone() };
        let key = if upper { key.to_uppercase() } else { key };
        prop_assert_eq!(resolve(&theme, &key), Some(param));
        let resolved = resolve_values(&theme, &[(key.as_str(), "v")]).unwrap();
        prop_assert_eq!(&resolved[0].0, &param.id);
    }

    #[test]
    fn check_value_agrees_with_validate_values(values in valid_values()) {
        let theme = demo_theme();
        for (id, value) in &values {
            let param = resolve(&theme, id).unwrap();
            prop_assert_eq!(check_value(param, value), Ok(()));
        }
    }
}
