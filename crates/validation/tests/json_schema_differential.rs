//! Differential test: our validator ([`validate_values`]) and an independent
//! JSON Schema validator (the `jsonschema` crate, draft 2020-12) judge the
//! same value sets against [`values_schema`], and must agree on every rule
//! the schema expresses.
//!
//! The sets are the document's own example values, pinned regressions, and
//! 10,000 generated sets per theme for the demo theme and each of the
//! sandbox's other themes (read from the sandbox's source, so a new theme
//! there is covered here too). Generated values are biased toward the edges
//! of each rule: lengths around the limits, colours with `#` or a trailing
//! new line, URLs with odd schemes, hosts and white space, layers in the
//! wrong case, missing and unknown keys.
//!
//! The one rule left out of the comparison is the offline picture-extension
//! check ([`Rule::PictureFormat`]): a picture's format is checked by
//! fetching it, which the schema says it cannot express.

use std::cell::Cell;
use std::path::PathBuf;

use motionkit_validation::Rule;
use motionkit_validation::{Annotations, values_schema};
use motionkit_validation::{ThemeParameter, validate_values};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

const DEMO_THEME_ID: &str = "8239de5c-5cbd-4e39-a102-220e5354a551";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A theme row (as the API sends it) as our rules.
fn rules(theme: &Value) -> Vec<ThemeParameter> {
    let mut out = Vec::new();
    for p in theme["parameters"].as_array().unwrap() {
        let def = &p["parameter"];
        let id = def["parameterType_id"].as_str().unwrap();
        let layer = def["layer"]
            .as_str()
            .or(def["title"].as_str())
            .unwrap()
            .to_owned();
        let num = |k: &str| def[k].as_u64().map(|n| n as usize);
        out.push(match p["type"].as_str().unwrap() {
            "text" => ThemeParameter::text(
                id,
                layer,
                num("minLength"),
                num("maxLength"),
                def["pattern"].as_str(),
            ),
            "color" => ThemeParameter::color(id, layer),
            "picture" => ThemeParameter::picture(
                id,
                layer,
                def["accept"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
                def["minWidth"].as_u64().map(|n| n as u32),
                def["minHeight"].as_u64().map(|n| n as u32),
            ),
            "output" => ThemeParameter::output(
                id,
                layer,
                def["layers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            ),
            other => panic!("unknown parameter type {other}"),
        });
    }
    out
}

fn demo_theme() -> Value {
    serde_json::from_str(&read("specs/examples/motiondynamic/demo_theme.json")).unwrap()
}

/// The sandbox's other themes, from the raw string in its source.
fn sandbox_themes() -> Vec<Value> {
    let source = read("crates/sandbox/src/motiondynamic/store/themes.rs");
    let start = source
        .find("const EXTRA_THEMES: &str = r#\"")
        .expect("the sandbox defines EXTRA_THEMES");
    let rest = &source[start..];
    let open = rest.find("r#\"").unwrap() + 3;
    let close = rest.find("\"#;").unwrap();
    let themes: Vec<Value> = serde_json::from_str(&rest[open..close]).unwrap();
    assert!(themes.len() >= 2, "the sandbox serves other themes");
    themes
}

struct Judges {
    params: Vec<ThemeParameter>,
    schema: jsonschema::Validator,
}

impl Judges {
    fn new(theme: &Value) -> Judges {
        let params = rules(theme);
        let schema = values_schema(&params, &Annotations::default());
        let schema = jsonschema::draft202012::new(&schema)
            .unwrap_or_else(|e| panic!("the schema is not valid draft 2020-12: {e}"));
        Judges { params, schema }
    }

    /// Our verdict on the rules the schema expresses.
    fn ours(&self, values: &Map<String, Value>) -> bool {
        let pairs: Vec<(String, String)> = values
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        match validate_values(&self.params, &pairs) {
            Ok(()) => true,
            Err(found) => found.iter().all(|v| v.rule == Rule::PictureFormat),
        }
    }

    fn theirs(&self, values: &Map<String, Value>) -> bool {
        self.schema.is_valid(&Value::Object(values.clone()))
    }

    fn agree(&self, values: &Map<String, Value>) -> Result<bool, String> {
        let (ours, theirs) = (self.ours(values), self.theirs(values));
        if ours == theirs {
            Ok(ours)
        } else {
            let errors: Vec<String> = self
                .schema
                .iter_errors(&Value::Object(values.clone()))
                .map(|e| e.to_string())
                .collect();
            Err(format!(
                "disagreement: ours says {ours}, jsonschema says {theirs} ({errors:?}) for {}",
                Value::Object(values.clone())
            ))
        }
    }
}

fn text_chars() -> BoxedStrategy<char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => select(vec![
            '0', '9', '.', ',', ' ', '\n', '\t', 'é', '\u{301}', '中', '😀', '\u{feff}', '\u{3000}',
            '#', '$', '^',
        ]),
    ]
    .boxed()
}

fn text_value(min: usize, max: usize, patterned: bool) -> BoxedStrategy<String> {
    let low = min.saturating_sub(1);
    let high = max + 2;
    if patterned {
        let ch = prop_oneof![
            6 => select(vec!['0', '1', '5', '9', '.']),
            1 => select(vec![',', 'a', ' ', '\n', '٣', '０']),
        ];
        prop::collection::vec(ch, low..=high)
            .prop_map(|c| c.into_iter().collect())
            .boxed()
    } else {
        prop::collection::vec(text_chars(), low..=high)
            .prop_map(|c| c.into_iter().collect())
            .boxed()
    }
}

fn color_value() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[0-9a-fA-F]{6}",
        1 => "#[0-9a-fA-F]{6}",
        1 => "[0-9a-fA-F]{5,7}",
        1 => "[0-9a-gA-G]{6}",
        1 => "[0-9a-fA-F]{6}\n",
        1 => "[0-9０-９]{6}",
    ]
    .boxed()
}

fn url_value() -> BoxedStrategy<String> {
    let scheme = select(vec![
        "https", "http", "HTTPS", "hTtP", "ftp", "", "file", "httpss",
    ]);
    let sep = select(vec!["://", "://", "://", ":/", "//", ":///"]);
    let userinfo = select(vec!["", "", "user@", "a@b@", "@", "u:p@"]);
    let host = select(vec![
        "imgur.com",
        "example.test",
        "127.0.0.1",
        "[::1]",
        "[",
        "[]",
        "[[x]",
        "",
        ":80",
        "a:",
        "x y",
        "ex\tample",
        "bücher.de",
    ]);
    let port = select(vec!["", "", ":8080", ":", ":x"]);
    let path = prop::collection::vec(
        prop_oneof![
            6 => proptest::char::range('a', 'z'),
            1 => select(vec![
                '/', '?', '#', '.', '@', ' ', '\u{85}', '\u{a0}', '\u{feff}', '\u{3000}',
                '\u{2028}', '\u{1}', '\u{7f}', 'ä', '%', ':',
            ]),
        ],
        0..12,
    )
    .prop_map(|c| c.into_iter().collect::<String>());
    let ext = select(vec!["", "", ".png", ".PNG", ".jpg", ".gif"]);
    (scheme, sep, userinfo, host, port, path, ext)
        .prop_map(|(s, sep, u, h, p, path, e)| {
            let slash = if path.is_empty() && e.is_empty() {
                ""
            } else {
                "/"
            };
            format!("{s}{sep}{u}{h}{p}{slash}{path}{e}")
        })
        .boxed()
}

fn output_value(layers: &[String]) -> BoxedStrategy<String> {
    let mut near: Vec<String> = Vec::new();
    for layer in layers {
        near.push(layer.clone());
        near.push(layer.to_lowercase());
        near.push(format!("{layer} "));
    }
    near.extend(["".to_owned(), "OTHER".to_owned()]);
    let exact = layers.to_vec();
    prop_oneof![3 => select(exact), 1 => select(near)].boxed()
}

/// A value that passes: most of a set's values, so whole sets pass often
/// enough for both verdicts to be exercised.
fn valid_value(param: &ThemeParameter) -> BoxedStrategy<String> {
    use motionkit_validation::ParameterKind as K;
    match &param.kind {
        K::Text {
            min_length,
            max_length,
            pattern: Some(_),
        } => prop::collection::vec(
            select(vec!['0', '1', '5', '9', '.']),
            min_length.unwrap_or(0).max(1)..=max_length.unwrap_or(20),
        )
        .prop_map(|c| c.into_iter().collect())
        .boxed(),
        K::Text {
            min_length,
            max_length,
            pattern: None,
        } => prop::collection::vec(
            text_chars(),
            min_length.unwrap_or(0)..=max_length.unwrap_or(20),
        )
        .prop_map(|c| c.into_iter().collect())
        .boxed(),
        K::Color => "[0-9a-fA-F]{6}".boxed(),
        K::Picture { .. } => "[Hh]ttps?://[a-z]{1,8}\\.test(:[0-9]{2,4})?/[a-z0-9]{1,8}".boxed(),
        K::Output { layers } => select(layers.clone()).boxed(),
        K::Unknown => ".{0,8}".boxed(),
    }
}

fn value_of(param: &ThemeParameter) -> BoxedStrategy<String> {
    prop_oneof![8 => valid_value(param), 1 => edge_value(param)].boxed()
}

/// A value near the edges of its rule, valid or not.
fn edge_value(param: &ThemeParameter) -> BoxedStrategy<String> {
    use motionkit_validation::ParameterKind as K;
    match &param.kind {
        K::Text {
            min_length,
            max_length,
            pattern,
        } => text_value(
            min_length.unwrap_or(0),
            max_length.unwrap_or(20),
            pattern.is_some(),
        ),
        K::Color => color_value(),
        K::Picture { .. } => url_value(),
        K::Output { layers } => output_value(layers),
        K::Unknown => ".{0,8}".boxed(),
    }
}

/// A value set keyed by parameter id: usually every parameter, sometimes
/// one dropped or an unknown key added.
fn value_sets(params: &[ThemeParameter]) -> BoxedStrategy<Map<String, Value>> {
    let ids: Vec<String> = params.iter().map(|p| p.id.clone()).collect();
    let values: Vec<BoxedStrategy<String>> = params.iter().map(value_of).collect();
    let count = ids.len();
    (
        values,
        prop_oneof![8 => Just(None), 1 => (0..count).prop_map(Some)],
        prop_oneof![8 => Just(None), 1 => Just(Some("00000000-0000-0000-0000-000000000000")), 1 => Just(Some("l3_prix_01"))],
    )
        .prop_map(move |(values, drop, extra)| {
            let mut map = Map::new();
            for (i, (id, value)) in ids.iter().zip(values).enumerate() {
                if drop != Some(i) {
                    map.insert(id.clone(), json!(value));
                }
            }
            if let Some(extra) = extra {
                map.insert(extra.to_owned(), json!("x"));
            }
            map
        })
        .boxed()
}

/// Runs 10,000 generated sets against one theme and checks both verdicts
/// occur, so the comparison is not vacuous.
fn differential(theme: &Value) {
    let judges = Judges::new(theme);
    let accepted = Cell::new(0u32);
    let rejected = Cell::new(0u32);
    let mut runner = TestRunner::new(Config {
        cases: 10_000,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&value_sets(&judges.params), |set| {
        match judges.agree(&set) {
            Ok(true) => accepted.set(accepted.get() + 1),
            Ok(false) => rejected.set(rejected.get() + 1),
            Err(message) => return Err(TestCaseError::fail(message)),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("theme {}: {e}", theme["theme_id"]);
    }
    let (accepted, rejected) = (accepted.get(), rejected.get());
    assert!(
        accepted >= 500 && rejected >= 500,
        "theme {}: {accepted} accepted, {rejected} rejected: the generator must exercise both sides",
        theme["theme_id"]
    );
}

#[test]
fn demo_theme_ten_thousand_sets() {
    differential(&demo_theme());
}

#[test]
fn sandbox_themes_ten_thousand_sets_each() {
    for theme in sandbox_themes() {
        differential(&theme);
    }
}

/// The document's example request, as the object a form fills.
fn example_values() -> Map<String, Value> {
    let request: Value = serde_json::from_str(&read(
        "specs/examples/motiondynamic/generation_request.json",
    ))
    .unwrap();
    request["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["parameter_id"].as_str().unwrap().to_owned(),
                v["value"].clone(),
            )
        })
        .collect()
}

fn with(mut values: Map<String, Value>, layer: &str, value: &str) -> Map<String, Value> {
    let theme = rules(&demo_theme());
    let id = &theme.iter().find(|p| p.layer == layer).unwrap().id;
    values.insert(id.clone(), json!(value));
    values
}

#[test]
fn the_documents_example_values_pass_both() {
    let judges = Judges::new(&demo_theme());
    assert_eq!(judges.agree(&example_values()), Ok(true));
    assert_eq!(demo_theme()["theme_id"], DEMO_THEME_ID);
}

#[test]
fn the_documents_counter_examples_fail_both() {
    let judges = Judges::new(&demo_theme());
    for (layer, value) in [
        ("l3_prix_01", "12,1"),
        ("background_color", "#00FF00"),
        ("l1_titre_01", "too long title"),
        ("Variante", "master"),
        ("image_produit", "imgur.com/x.png"),
    ] {
        let values = with(example_values(), layer, value);
        assert_eq!(judges.agree(&values), Ok(false), "{layer} = {value:?}");
    }
}

/// Sets on which the two judges once disagreed, or that sit exactly on an
/// edge of a rule. Each must keep the verdict shown.
#[test]
fn pinned_edges() {
    let judges = Judges::new(&demo_theme());
    for (layer, value, valid) in [
        // `$` ends the text, not a line: a trailing new line is refused.
        ("l3_prix_01", "12.1\n", false),
        ("background_color", "00FF00\n", false),
        // Characters, not bytes or UTF-16 units, are counted.
        ("l1_titre_01", "😀😀😀😀😀😀😀", true),
        ("l1_titre_01", "e\u{301}e\u{301}e\u{301}e", true),
        // Only ASCII digits are hex digits.
        ("background_color", "００FF00", false),
        // URLs: no white space or control characters anywhere.
        ("image_produit", "https://a.com/\u{85}", false),
        ("image_produit", "https://a.com/\u{3000}", false),
        ("image_produit", "https://a.com/\u{a0}", false),
        ("image_produit", "https://a.com/ä", true),
        ("image_produit", "HTTPS://user@host:8080/a?b#c", true),
        ("image_produit", "https://[::1]/", true),
        ("image_produit", "https://[]/", false),
        ("image_produit", "https://:80/", false),
    ] {
        let values = with(example_values(), layer, value);
        assert_eq!(judges.agree(&values), Ok(valid), "{layer} = {value:?}");
    }
}
