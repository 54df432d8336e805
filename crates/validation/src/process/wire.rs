//! `key=value` strings: [`ProcessParams::to_params`] and
//! [`ProcessParams::parse`], with the bounds on parameters this crate does
//! not know.

use super::*;

impl ProcessParams {
    /// Renders the wire strings, `key=value`, in [`PARAMETER_KEYS`] order
    /// with canonical keys, leaving out unset parameters (and `formats` when
    /// empty).
    ///
    /// Flags are `0`/`1`, `formats` is comma-joined (`formats=bvh,fbx,mp4`),
    /// `render.bgColor` is `R,G,B,A` and numbers use Rust's shortest
    /// round-trip formatting (`1`, `2.6`), so [`ProcessParams::parse`] gives
    /// back identical values. Nothing is validated here.
    pub fn to_params(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut put = |key: &str, value: String| out.push(format!("{key}={value}"));
        let bit = |on: bool| if on { "1" } else { "0" }.to_owned();
        if let Some(v) = &self.config {
            put(keys::CONFIG, v.clone());
        }
        if !(self.formats.is_empty() && self.extra_formats.is_empty()) {
            put(keys::FORMATS, self.formats_value());
        }
        if let Some(v) = &self.model {
            put(keys::MODEL, v.clone());
        }
        if let Some(v) = self.sim {
            put(keys::SIM, bit(v));
        }
        if let Some(v) = self.track_face {
            put(keys::TRACK_FACE, bit(v));
        }
        if let Some(v) = self.track_hand {
            put(keys::TRACK_HAND, bit(v));
        }
        if let Some(v) = self.foot_locking_mode {
            put(keys::FOOT_LOCKING_MODE, v.to_string());
        }
        if let Some(v) = self.video_speed_multiplier {
            put(keys::VIDEO_SPEED_MULTIPLIER, v.to_string());
        }
        if let Some(v) = self.pose_filtering_strength {
            put(keys::POSE_FILTERING_STRENGTH, v.to_string());
        }
        if let Some(v) = self.root_at_origin {
            put(keys::ROOT_AT_ORIGIN, bit(v));
        }
        if let Some(v) = &self.trim {
            put(keys::TRIM, v.to_string());
        }
        if let Some(v) = &self.crop {
            put(keys::CROP, v.to_string());
        }
        if let Some(v) = self.render_sbs {
            put(keys::RENDER_SBS, bit(v));
        }
        if let Some(v) = self.render_bg_color {
            put(keys::RENDER_BG_COLOR, format_rgba(v));
        }
        if let Some(v) = &self.render_backdrop {
            put(keys::RENDER_BACKDROP, v.clone());
        }
        if let Some(v) = self.render_shadow {
            put(keys::RENDER_SHADOW, bit(v));
        }
        if let Some(v) = self.render_include_audio {
            put(keys::RENDER_INCLUDE_AUDIO, bit(v));
        }
        if let Some(v) = self.render_cam_mode {
            put(keys::RENDER_CAM_MODE, v.to_string());
        }
        if let Some(v) = self.pipeline {
            put(keys::PIPELINE, v.to_string());
        }
        if !self.models.is_empty() {
            put(keys::MODELS, people::render_models(&self.models));
        }
        for (key, value) in &self.extra {
            put(key, value.clone());
        }
        out
    }

    /// Parses `key=value` strings, reporting every problem at once.
    ///
    /// Keys are canonical keys or their aliases (see [`PARAMETER_KEYS`]),
    /// case-sensitive; spaces around keys, values and list items are
    /// ignored; `formats` and `footLockingMode` values ignore ASCII case.
    /// Violations name the key as written. Reports:
    ///
    /// - [`Rule::Syntax`]: no `=` (field = the whole item, or `params[i]`
    ///   when blank), an empty key (field `params[i]`) or value, a
    ///   malformed number, `trim`, `crop` or list;
    /// - [`Rule::UnknownParameter`]: a key that is not a parameter (the
    ///   limit suggests the right spelling when only the case differs);
    /// - [`Rule::Duplicate`]: a parameter given twice, including once by
    ///   alias and once canonically;
    /// - [`Rule::Flag`], [`Rule::OneOf`], [`Rule::Rgba`],
    ///   [`Rule::NotFinite`]: a value of the wrong kind.
    ///
    /// Ranges and cross-field rules are left to [`ProcessParams::validate`].
    /// Never panics.
    ///
    /// # Errors
    ///
    /// Every violation found.
    pub fn parse<S: AsRef<str>>(params: &[S]) -> Result<ProcessParams, Violations> {
        let mut out = ProcessParams::default();
        let mut found = Violations::new();
        let mut seen: Vec<(&'static str, String)> = Vec::new();
        for (index, raw) in params.iter().enumerate() {
            let raw = raw.as_ref();
            let position = || format!("params[{index}]");
            let Some((key, value)) = raw.split_once('=') else {
                let field = if raw.trim().is_empty() {
                    position()
                } else {
                    excerpt_field(raw.trim())
                };
                found.push(Violation::new(field, Rule::Syntax, raw, "key=value"));
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            if key.is_empty() {
                found.push(Violation::new(position(), Rule::Syntax, raw, "key=value"));
                continue;
            }
            let Some(canonical) = canonical_key(key) else {
                match check_extra(&out.extra, key, value) {
                    Ok(()) => out.extra.push((key.to_owned(), value.to_owned())),
                    Err(problem) => found.push(problem),
                }
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(c, _)| *c == canonical) {
                found.push(Violation::new(
                    key,
                    Rule::Duplicate,
                    raw,
                    format!("{canonical} at most once (already given as {first})"),
                ));
                continue;
            }
            seen.push((canonical, key.to_owned()));
            if value.is_empty() {
                found.push(Violation::new(key, Rule::Syntax, raw, "a value after '='"));
                continue;
            }
            found.record(out.set(canonical, key, value));
        }
        found.into_result(out)
    }

    /// Sets one parameter from its wire value; `field` is the key as written.
    fn set(&mut self, canonical: &str, field: &str, value: &str) -> Result<(), Violation> {
        let bit = || flag(field, value);
        let rename = |mut v: Violation| {
            field.clone_into(&mut v.field);
            v
        };
        match canonical {
            keys::CONFIG => self.config = Some(value.to_owned()),
            keys::FORMATS => (self.formats, self.extra_formats) = parse_formats(field, value)?,
            keys::MODEL => self.model = Some(value.to_owned()),
            keys::SIM => self.sim = Some(bit()?),
            keys::TRACK_FACE => self.track_face = Some(bit()?),
            keys::TRACK_HAND => self.track_hand = Some(bit()?),
            keys::FOOT_LOCKING_MODE => {
                self.foot_locking_mode = Some(value.parse().map_err(rename)?);
            }
            keys::VIDEO_SPEED_MULTIPLIER => {
                self.video_speed_multiplier = Some(parse_f64(field, value)?);
            }
            keys::POSE_FILTERING_STRENGTH => {
                self.pose_filtering_strength = Some(parse_f64(field, value)?);
            }
            keys::ROOT_AT_ORIGIN => self.root_at_origin = Some(bit()?),
            keys::TRIM => self.trim = Some(Trim::parse(field, value)?),
            keys::CROP => self.crop = Some(Crop::parse(field, value)?),
            keys::RENDER_SBS => self.render_sbs = Some(bit()?),
            keys::RENDER_BG_COLOR => self.render_bg_color = Some(rgba(field, value)?),
            keys::RENDER_BACKDROP => self.render_backdrop = Some(value.to_owned()),
            keys::RENDER_SHADOW => self.render_shadow = Some(bit()?),
            keys::RENDER_INCLUDE_AUDIO => self.render_include_audio = Some(bit()?),
            keys::RENDER_CAM_MODE => self.render_cam_mode = Some(value.parse().map_err(rename)?),
            keys::PIPELINE => self.pipeline = Some(value.parse().map_err(rename)?),
            keys::MODELS => self.models = people::parse_models(field, value)?,
            // `canonical` always comes from PARAMETER_KEYS.
            other => return Err(unknown_key(other, value)),
        }
        Ok(())
    }
}

impl ProcessParams {
    /// The `formats=` value: known formats, then the extra ones.
    pub(super) fn formats_value(&self) -> String {
        let names: Vec<&str> = self
            .formats
            .iter()
            .map(|f| f.as_str())
            .chain(self.extra_formats.iter().map(String::as_str))
            .collect();
        names.join(",")
    }
}

/// Splits a `formats=` list into known formats and the others, kept as
/// written.
fn parse_formats(field: &str, value: &str) -> Result<(Vec<OutputFormat>, Vec<String>), Violation> {
    let mut known = Vec::new();
    let mut other: Vec<String> = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(Violation::new(
                field,
                Rule::Syntax,
                value,
                "a comma-separated list of formats, for example bvh,fbx,mp4",
            ));
        }
        match OutputFormat::from_wire(item) {
            Some(format) => known.push(format),
            None => {
                check_extra_format(&other, item).map_err(|mut v| {
                    field.clone_into(&mut v.field);
                    v
                })?;
                other.push(item.to_owned());
            }
        }
    }
    Ok((known, other))
}

/// Longest output format this crate does not know.
pub const MAX_EXTRA_FORMAT_CHARS: usize = 32;

/// Checks an output format this crate does not know: a short token of
/// letters, digits, `.`, `-` and `_`, not a known format in another case,
/// and not given twice.
pub(super) fn check_extra_format(earlier: &[String], format: &str) -> Result<(), Violation> {
    let well_formed = !format.is_empty()
        && format.chars().count() <= MAX_EXTRA_FORMAT_CHARS
        && format
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !well_formed {
        return Err(Violation::new(
            keys::FORMATS,
            Rule::Syntax,
            format,
            format!(
                "a format name of at most {MAX_EXTRA_FORMAT_CHARS} letters, digits, '.', '-' \
                 or '_'"
            ),
        ));
    }
    if OutputFormat::from_wire(format).is_some() {
        return Err(Violation::new(
            keys::FORMATS,
            Rule::Duplicate,
            format,
            "a known format through ProcessParams::formats, not as an extra format",
        ));
    }
    if earlier.iter().any(|f| f.eq_ignore_ascii_case(format)) {
        return Err(Violation::new(
            keys::FORMATS,
            Rule::Duplicate,
            format,
            "each format at most once",
        ));
    }
    Ok(())
}

/// The advisory for a parameter this crate does not know: it is sent as
/// given, and the message suggests the documented spelling when only the
/// case differs.
pub(super) fn unknown_key(key: &str, raw: &str) -> Violation {
    let suggestion = PARAMETER_KEYS
        .iter()
        .flat_map(|(canonical, aliases)| std::iter::once(canonical).chain(aliases.iter()))
        .find(|k| k.eq_ignore_ascii_case(key));
    let limit = match suggestion {
        Some(k) => format!("a documented /process parameter (did you mean {k}?); sent as given"),
        None => "a documented /process parameter; not one, so it is sent as given".to_owned(),
    };
    Violation::new(excerpt_field(key), Rule::UnknownParameter, raw, limit)
}

/// Longest key of a parameter this crate does not know.
pub const MAX_EXTRA_KEY_CHARS: usize = 128;
/// Longest value of a parameter this crate does not know.
pub const MAX_EXTRA_VALUE_CHARS: usize = 4096;

/// Checks a parameter this crate does not know before it is sent: a key
/// without `=`, spaces or control characters, a value without control
/// characters, not a documented key (that one has a typed setter), and
/// not given twice.
pub(super) fn check_extra(
    earlier: &[(String, String)],
    key: &str,
    value: &str,
) -> Result<(), Violation> {
    let raw = format!("{key}={value}");
    if key.chars().count() > MAX_EXTRA_KEY_CHARS || value.chars().count() > MAX_EXTRA_VALUE_CHARS {
        return Err(Violation::new(
            excerpt_field(key),
            Rule::MaxLength,
            raw,
            format!(
                "a key of at most {MAX_EXTRA_KEY_CHARS} and a value of at most \
                 {MAX_EXTRA_VALUE_CHARS} characters"
            ),
        ));
    }
    if key.is_empty()
        || key
            .chars()
            .any(|c| c == '=' || c.is_whitespace() || c.is_control())
        || value.chars().any(char::is_control)
    {
        return Err(Violation::new(
            excerpt_field(key),
            Rule::Syntax,
            raw,
            "key=value without spaces or control characters in the key",
        ));
    }
    if let Some(canonical) = canonical_key(key) {
        return Err(Violation::new(
            key,
            Rule::Duplicate,
            raw,
            format!("{canonical} through its typed setter, not as an extra parameter"),
        ));
    }
    if earlier.iter().any(|(k, _)| k == key) {
        return Err(Violation::new(
            key,
            Rule::Duplicate,
            raw,
            format!("{key} at most once"),
        ));
    }
    Ok(())
}

/// A free-form identifier value (`config`, `model`, `render.backdrop`):
/// non-empty, no whitespace or control characters.
pub(super) fn token(field: &str, value: &str) -> Result<(), Violation> {
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(Violation::new(
            field,
            Rule::Syntax,
            value,
            "a non-empty value without whitespace",
        ))
    } else {
        Ok(())
    }
}
