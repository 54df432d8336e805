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
//! - [`text`], [`number`], [`video`], [`picture`], [`output`]: single rules
//!   (length, regex, hex colour, UUID, extension, ranges, flags, RGBA,
//!   trim/crop, picture format and size, output layer).
//! - [`process`]: DeepMotion `/process` parameters, typed, validated,
//!   rendered to and parsed from `key=value` strings.
//! - [`theme`]: MotionDynamic generation values checked against a theme's
//!   parameters.
//! - [`json_schema`]: a theme's values as a JSON Schema (draft 2020-12), for
//!   forms and tools in other languages.
//!
//! ```
//! use motionkit_validation::process::{InputKind, OutputFormat, ProcessParams};
//! use motionkit_validation::theme::{validate_values, ThemeParameter};
//! use motionkit_validation::Rule;
//!
//! // DeepMotion: build, validate, render.
//! let params = ProcessParams::new()
//!     .formats([OutputFormat::Bvh, OutputFormat::Mp4])
//!     .video_speed_multiplier(9.0);
//! let err = params.validate(InputKind::Video, None).unwrap_err();
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

pub mod error;
pub mod json_schema;
pub mod media;
pub mod number;
pub mod output;
pub mod picture;
pub mod process;
pub mod text;
pub mod theme;
pub mod video;

pub use error::{Findings, Rule, Severity, Violation, Violations};

/// The examples of the crate's README, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
