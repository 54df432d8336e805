//! Checks shared by the fuzz targets in `fuzz_targets/`.

use std::fmt::Debug;

use motionkit_models::DecodeError;
use motionkit_models::deepmotion::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A generated `reencode(type_name, json)` function.
pub type Reencode = fn(&str, &str) -> Option<Result<Value, DecodeError>>;

/// The fuzz input as text; bodies reach the parsers as UTF-8.
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A decode error names a path and keeps a short prefix of the body.
pub fn check_error(json: &str, error: &DecodeError) {
    assert!(error.excerpt.len() <= motionkit_models::EXCERPT_BYTES);
    assert!(json.starts_with(&error.excerpt), "excerpt is not a prefix");
    let _ = error.to_string();
}

/// Decodes `json` as `T` and checks the JSON round-trip: only valid JSON
/// decodes, the value encodes, decodes back equal from the encoded value and from its text,
/// and encoding again gives the same JSON.
pub fn roundtrip<T>(json: &str) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let value: T = match motionkit_models::decode(json) {
        Ok(value) => value,
        Err(error) => {
            check_error(json, &error);
            return None;
        }
    };
    serde_json::from_str::<Value>(json).expect("decode accepted a body that is not JSON");
    let encoded = serde_json::to_value(&value).expect("a decoded value encodes");
    let back: T = serde_json::from_value(encoded.clone()).expect("an encoded value decodes");
    assert_eq!(back, value, "decode(encode(x)) != x");
    let text = encoded.to_string();
    let again: T = motionkit_models::decode(&text)
        .unwrap_or_else(|e| panic!("re-encoded text does not decode: {e}; text: {text}"));
    assert_eq!(again, value, "decode(encode(x) as text) != x; text: {text}");
    assert_eq!(serde_json::to_value(&again).unwrap(), encoded);
    Some(value)
}

/// [`roundtrip`], plus the generated `reencode` for `type_name` agrees
/// with it: same success, same JSON.
pub fn reencoded<T>(reencode: Reencode, type_name: &str, json: &str) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let generic = reencode(type_name, json).expect("the type name is known");
    let value = roundtrip::<T>(json);
    match (&value, generic) {
        (Some(v), Ok(encoded)) => assert_eq!(serde_json::to_value(v).unwrap(), encoded),
        (None, Err(error)) => check_error(json, &error),
        (v, e) => panic!("reencode and decode disagree: {v:?} vs {e:?}"),
    }
    value
}

/// `documented_code` only names a documented code that appears in `text`
/// as a whole number.
pub fn check_code(text: &str) {
    let Some(code) = motionkit_models::documented_code(text) else {
        return;
    };
    assert_eq!(ErrorCode::from_code(code.code()), Some(code));
    assert!(!code.message().is_empty());
    let number = code.code();
    assert!(
        text.split(|c: char| !c.is_ascii_digit())
            .any(|token| token.parse() == Ok(number)),
        "code {number} is not a whole number of {text:?}"
    );
}
