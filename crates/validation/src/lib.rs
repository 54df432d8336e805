//! Pure validation rules for DeepMotion and MotionDynamic inputs.
//!
//! Both APIs reject bad input late and vaguely: DeepMotion fails a paid job
//! with a numeric code ("503 Error processing the parameters") and
//! MotionDynamic silently discards invalid values. This crate checks inputs
//! before they are sent, and says exactly what is wrong.
//!
//! It has no HTTP or async dependencies so any tool can reuse it. Every rule
//! returns a [`Violation`] naming the field (as the user knows it:
//! `render.bgColor`, `l3_prix_01`), the [`Rule`], the offending value and
//! the limit; validators collect every violation into [`Violations`] instead
//! of stopping at the first.
//!
//! Everything is at the crate root:
//! - single rules (length, regex, hex colour, UUID, extension, ranges,
//!   flags, RGBA, [`Trim`]/[`Crop`], [`check_picture`], [`output_layer`]);
//! - [`ProcessParams`]: DeepMotion `/process` parameters, typed, validated,
//!   rendered to and parsed from `key=value` strings, built on the
//!   generated [`PROCESS_PARAMETERS`] table;
//! - [`check_values`] and [`validate_values`]: MotionDynamic generation
//!   values checked against a theme's [`ThemeParameter`]s;
//! - [`values_schema`]: a theme's values as a JSON Schema (draft 2020-12),
//!   for forms and tools in other languages;
//! - [`upload_kind`]: what an upload is, by its first bytes.
//!
//! ```
//! use motionkit_validation::{InputKind, OutputFormat, ProcessParams, Rule};
//! use motionkit_validation::{ThemeParameter, validate_values};
//!
//! // DeepMotion: build, validate, render.
//! let params = ProcessParams::new()
//!     .formats([OutputFormat::Bvh, OutputFormat::Mp4])
//!     .video_speed_multiplier(9.0);
//! // Every finding at once, each with its severity.
//! let err = params.validate(InputKind::Video, None).errors;
//! assert_eq!(err.0[0].field, "videoSpeedMultiplier");
//! assert_eq!(err.0[0].rule, Rule::Range);
//! assert_eq!(err.0[0].limit, "1.0..=8.0");
//!
//! let parsed = ProcessParams::parse(&["formats=bvh,fbx", "render.bgColor=0,177,64,0"]).unwrap();
//! assert_eq!(parsed.render_bg_color, Some([0, 177, 64, 0]));
//!
//! // MotionDynamic: check generation values against the theme.
//! let theme = [ThemeParameter::text(
//!     "e473471d-e715-4829-b096-15d055bc1fa7",
//!     "l3_prix_01",
//!     Some(1),
//!     Some(5),
//!     Some(r"^[0-9\.]+$"),
//! )];
//! assert!(validate_values(&theme, &[("e473471d-e715-4829-b096-15d055bc1fa7", "12.1")]).is_ok());
//! let err = validate_values(&theme, &[("E473471D-E715-4829-B096-15D055BC1FA7", "12,1")]).unwrap_err();
//! assert_eq!(err.0[0].field, "l3_prix_01");
//! assert_eq!(err.0[0].rule, Rule::Pattern);
//! ```

mod error;
mod json_schema;
mod media;
mod number;
mod output;
mod parameter_spec;
mod picture;
mod process;
#[path = "generated/process_table.rs"]
mod process_table;
mod text;
mod theme;
mod video;

pub use error::{Findings, Rule, Severity, VALUE_EXCERPT_CHARS, Violation, Violations};
pub use json_schema::{
    Annotations, DRAFT_2020_12, HEX_COLOR_PATTERN, ParameterAnnotation, http_url_pattern,
    values_schema,
};
pub use media::{
    HEAD_BYTES, Identified, KNOWN_UPLOAD_EXTENSIONS, MediaKind, UNKNOWN_FORMAT_WARNING,
    check_upload, check_upload_name, identify, upload_kind,
};
pub use number::{
    FlagValue, finite, flag, format_rgba, one_of, one_of_limit, parse_f64, range_f64, rgba,
};
pub use output::output_layer;
pub use parameter_spec::{ProcessParamKind, ProcessParameterSpec};
pub use picture::{
    PictureFormat, PictureInfo, Sniffed, accepts, check_picture, check_picture_name, detect_format,
    sniff, sniff_detailed,
};
pub use process::{
    CamMode, FootLockingMode, InputKind, MAX_EXTRA_FORMAT_CHARS, MAX_EXTRA_KEY_CHARS,
    MAX_EXTRA_VALUE_CHARS, OutputFormat, PersonModel, Pipeline, ProcessParams, canonical_key, keys,
};
/// The `/process` parameter table generated from `specs/deepmotion.json`
/// (`cargo xtask codegen`): keys, aliases, kinds, values, ranges and
/// defaults. [`ProcessParams`] reads its keys and ranges from it.
pub use process_table::{
    PARAMETER_KEYS, POSE_FILTERING_STRENGTH_RANGE, PROCESS_PARAMETERS, VIDEO_SPEED_MULTIPLIER_RANGE,
};
pub use text::{
    MAX_SERVER_ID_BYTES, char_length, compile_pattern, extension_of, file_extension, hex_color,
    http_url, pattern, server_id, uuid, uuid_eq,
};
pub use theme::{
    ParameterKind, ParameterRule, ThemeParameter, check_picture_bytes, check_value, check_values,
    resolve, resolve_values, validate_values, value_warnings,
};
pub use video::{CROP_KEY, Crop, TRIM_KEY, Trim};

/// The examples of the crate's README, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
