//! Inputs found by the fuzz targets in `fuzz/`, kept as plain tests.

use motionkit_models::deepmotion::{CharacterModel, endpoints};
use motionkit_models::motiondynamic::PostgrestError;
use motionkit_models::{PathError, decode};

/// `postgrest_error`: a body with text after the JSON value was accepted.
#[test]
fn trailing_characters_after_the_json_value_are_refused() {
    let body = r#"{"message":"m","code":"PGT117"}116"}"#;
    let err = decode::<PostgrestError>(body).unwrap_err();
    assert!(err.message.contains("trailing characters"), "{err}");
    // Whitespace after the value is fine.
    assert!(decode::<PostgrestError>("{\"message\":\"m\"}\r\n ").is_ok());
}

/// `deepmotion_models`: a number written back after decoding read back as
/// a different number (1 ULP off), so the payload did not round-trip.
#[test]
fn numbers_read_back_from_encoded_text_are_unchanged() {
    let body = r#"{"Id":"5f3c9a","name":"heroumanoid","ctime":1596461786000,
        "mtime":15444.4444444444444444444444444444444444444496461786000}"#;
    let model: CharacterModel = decode(body).unwrap();
    let text = serde_json::to_string(&model).unwrap();
    let again: CharacterModel = decode(&text).unwrap();
    assert_eq!(again, model, "{text}");
    let exact: f64 = decode("15444.444444444445").unwrap();
    assert_eq!(exact, "15444.444444444445".parse::<f64>().unwrap());
}

/// `endpoint_paths`: `..` (or `.`) as a path value rendered as a dot
/// segment, which a URL resolves to another route (`/status/..` is `/`).
#[test]
fn dot_segments_are_refused_as_path_values() {
    for value in [".", ".."] {
        assert!(
            matches!(
                endpoints::STATUS.fill_path(&[value]),
                Err(PathError::DotSegment { param: "rids", .. })
            ),
            "{value}"
        );
    }
    assert_eq!(
        endpoints::STATUS.fill_path(&["..."]).unwrap(),
        "/status/..."
    );
    assert_eq!(
        endpoints::DELETE_MODEL.fill_path(&["a..b"]).unwrap(),
        "/character/deleteModel/a..b"
    );
}
