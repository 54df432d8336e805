//! JSON decoding that says where a payload did not fit.

use std::fmt;

/// Longest body excerpt kept in a [`DecodeError`].
pub const EXCERPT_BYTES: usize = 256;

/// A JSON payload that does not fit its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// JSON path of the value that did not fit, such as `status[0].details.step`.
    pub path: String,
    /// What serde said.
    pub message: String,
    /// The start of the payload.
    pub excerpt: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unexpected JSON at `{}`: {} (body starts: {:?})",
            self.path, self.message, self.excerpt
        )
    }
}

impl std::error::Error for DecodeError {}

/// The first [`EXCERPT_BYTES`] bytes of `text`, cut on a character boundary.
pub fn excerpt(text: &str) -> String {
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// Decodes `json` as `T`, naming the JSON path of any mismatch. Anything
/// but whitespace after the JSON value is an error, as in
/// `serde_json::from_str`.
pub fn decode<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, DecodeError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| DecodeError {
        path: e.path().to_string(),
        message: e.inner().to_string(),
        excerpt: excerpt(json),
    })?;
    de.end().map_err(|e| DecodeError {
        path: ".".into(),
        message: e.to_string(),
        excerpt: excerpt(json),
    })?;
    Ok(value)
}

/// Decodes `json` as `T` and encodes the value back to JSON.
pub fn reencode<T>(json: &str) -> Result<serde_json::Value, DecodeError>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let value: T = decode(json)?;
    serde_json::to_value(&value).map_err(|e| DecodeError {
        path: ".".into(),
        message: e.to_string(),
        excerpt: excerpt(json),
    })
}
