//! The four checks the document asks of a generation's values ("Before
//! submitting this CURL request from your side, you must ensure that..."),
//! read from the theme's JSON by the sandbox itself. A generation that
//! breaks one is discarded, as "MotionDynamic API will discard invalid
//! inputs".
//!
//! - text values follow the parameter's `minLength` and `maxLength` (and
//!   the `pattern` the theme states);
//! - an output value is one of the output parameter's `layers`;
//! - a colour is a hex colour without `#`;
//! - picture URLs are downloadable and in the right format (`accept`): a
//!   picture on this machine is fetched and read; the sandbox has no
//!   network, so a remote one is taken on trust.
//!
//! The document says nothing about values for unknown parameter ids,
//! missing values or parameter types it does not list: they are not
//! reasons to discard, so the sandbox ignores them. It never asks the
//! client's validation crate.

use motionkit_models::motiondynamic::{GenerationValue, ParameterType, Theme, ThemeParameter};

use crate::still::{self, Still};

/// A picture value to fetch and check: layer, URL and accepted formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PictureValue {
    /// The parameter's layer, for messages.
    pub layer: String,
    /// The URL given.
    pub url: String,
    /// Accepted formats (`png`, `jpg`...); empty accepts every format.
    pub accept: Vec<String>,
}

fn layer(param: &ThemeParameter) -> String {
    let p = &param.parameter;
    p.layer
        .clone()
        .or_else(|| p.title.clone())
        .unwrap_or_else(|| p.parameter_type_id.clone())
}

/// Checks every value that needs no network; returns the problems and the
/// pictures left to fetch.
pub(super) fn check_offline(
    theme: &Theme,
    values: &[GenerationValue],
) -> (Vec<String>, Vec<PictureValue>) {
    let mut problems = Vec::new();
    let mut pictures = Vec::new();
    for param in theme.parameters.iter().flatten() {
        let id = &param.parameter.parameter_type_id;
        let Some(value) = values
            .iter()
            .find(|v| v.parameter_id.eq_ignore_ascii_case(id))
            .map(|v| v.value.as_str())
        else {
            continue;
        };
        let p = &param.parameter;
        let name = layer(param);
        match &param.kind {
            ParameterType::Text => {
                let chars = value.chars().count() as i64;
                if p.min_length.is_some_and(|min| chars < min)
                    || p.max_length.is_some_and(|max| chars > max)
                {
                    problems.push(format!(
                        "`{name}`: {chars} characters, outside minLength {:?} / maxLength {:?}",
                        p.min_length, p.max_length
                    ));
                }
                if let Some(pattern) = p.pattern.clone().flatten() {
                    match regex::Regex::new(&pattern) {
                        Ok(re) if !re.is_match(value) => {
                            problems.push(format!("`{name}`: {value:?} does not match {pattern}"));
                        }
                        _ => {}
                    }
                }
            }
            ParameterType::Color => {
                let hex = value.len() == 6 && value.chars().all(|c| c.is_ascii_hexdigit());
                if !hex {
                    problems.push(format!("`{name}`: {value:?} is not a hex colour without #"));
                }
            }
            ParameterType::Output => {
                let layers = p.layers.clone().unwrap_or_default();
                if !layers.iter().any(|l| l == value) {
                    problems.push(format!("`{name}`: {value:?} is not one of {layers:?}"));
                }
            }
            ParameterType::Picture => pictures.push(PictureValue {
                layer: name,
                url: value.to_owned(),
                accept: p.accept.clone().unwrap_or_default(),
            }),
            // Types the document does not list (and future ones): unchecked.
            _ => {}
        }
    }
    (problems, pictures)
}

/// Whether a fetched picture's first bytes are in an accepted format.
pub(super) fn check_picture_bytes(picture: &PictureValue, bytes: &[u8]) -> Result<(), String> {
    let format = match still::read(bytes) {
        Still::Picture { format, .. } | Still::NeedMore(format) => format.name(),
        Still::Other(name) => name,
        Still::Corrupt(format) => {
            return Err(format!(
                "`{}`: corrupt {} picture",
                picture.layer,
                format.name()
            ));
        }
        Still::NotPicture => {
            return Err(format!(
                "`{}`: {} is not a picture",
                picture.layer, picture.url
            ));
        }
    };
    let same = |a: &str| {
        let a = a.trim().trim_start_matches("image/").to_ascii_lowercase();
        let b = format.to_ascii_lowercase();
        a == b || (matches!(a.as_str(), "jpg" | "jpeg") && b == "jpeg")
    };
    if picture.accept.is_empty() || picture.accept.iter().any(|a| same(a)) {
        Ok(())
    } else {
        Err(format!(
            "`{}`: a {format} picture, not one of {:?}",
            picture.layer, picture.accept
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(accept: &[&str]) -> PictureValue {
        PictureValue {
            layer: "image_produit".into(),
            url: "http://127.0.0.1/p.php".into(),
            accept: accept.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    #[test]
    fn picture_formats_come_from_the_bytes() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 8]);
        assert!(check_picture_bytes(&picture(&["png"]), &png).is_ok());
        assert!(check_picture_bytes(&picture(&["jpg"]), &png).is_err());
        assert!(check_picture_bytes(&picture(&[]), &png).is_ok());
        assert!(check_picture_bytes(&picture(&["png"]), b"<html>").is_err());
        assert!(check_picture_bytes(&picture(&["jpeg"]), &[0xFF, 0xD8, 0xFF, 0xE0]).is_ok());
    }
}
