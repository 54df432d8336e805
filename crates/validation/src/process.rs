//! The parameters of DeepMotion's `POST /process` (`"params": [...]`).
//!
//! [`ProcessParams`] holds every documented parameter, typed. Build it with
//! the chained setters (or struct update syntax), check it with
//! [`ProcessParams::validate`], and render the wire strings with
//! [`ProcessParams::to_params`]. [`ProcessParams::parse`] reads `key=value`
//! strings back (for example from a command line), accepting the
//! `poseEstimation.` aliases.
//!
//! Parsing checks syntax only (numbers are numbers, flags are `0`/`1`,
//! enumerations are known values); ranges and cross-field rules belong to
//! [`ProcessParams::validate`], because they depend on the input kind and
//! the video's duration. The two together give every violation.
//!
//! ```
//! use motionkit_validation::{InputKind, OutputFormat, ProcessParams};
//!
//! let params = ProcessParams::new()
//!     .config("configDefault")
//!     .formats([OutputFormat::Bvh, OutputFormat::Fbx, OutputFormat::Mp4])
//!     .trim(1.0, 2.6)
//!     .render_sbs(false)
//!     .render_bg_color([0, 177, 64, 0]);
//! params.validate(InputKind::Video, Some(10.0)).unwrap();
//! assert_eq!(
//!     params.to_params(),
//!     [
//!         "config=configDefault",
//!         "formats=bvh,fbx,mp4",
//!         "trim=1,2.6",
//!         "render.sbs=0",
//!         "render.bgColor=0,177,64,0",
//!     ]
//! );
//! assert_eq!(ProcessParams::parse(&params.to_params()).unwrap(), params);
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Findings, Rule, Severity, Violation, Violations, excerpt_field};
use crate::number::{flag, format_rgba, one_of_limit, parse_f64, range_f64, rgba};
use crate::video::{Crop, Trim};

/// The canonical wire keys of the `/process` parameters.
pub mod keys {
    /// `config=configDefault`.
    pub const CONFIG: &str = "config";
    /// `formats=bvh,fbx,mp4`.
    pub const FORMATS: &str = "formats";
    /// `model=<modelId>`.
    pub const MODEL: &str = "model";
    /// `sim=0|1`: physics simulation.
    pub const SIM: &str = "sim";
    /// `trackFace=0|1`.
    pub const TRACK_FACE: &str = "trackFace";
    /// `trackHand=0|1`.
    pub const TRACK_HAND: &str = "trackHand";
    /// `footLockingMode=auto|always|never|grounding`.
    pub const FOOT_LOCKING_MODE: &str = "footLockingMode";
    /// `videoSpeedMultiplier=1.0..8.0`.
    pub const VIDEO_SPEED_MULTIPLIER: &str = "videoSpeedMultiplier";
    /// `poseFilteringStrength=0.0..1.0`.
    pub const POSE_FILTERING_STRENGTH: &str = "poseFilteringStrength";
    /// `rootAtOrigin=0|1`.
    pub const ROOT_AT_ORIGIN: &str = "rootAtOrigin";
    /// `trim=from,to`.
    pub const TRIM: &str = "trim";
    /// `crop=left,top,right,bottom`.
    pub const CROP: &str = "crop";
    /// `render.sbs=0|1`.
    pub const RENDER_SBS: &str = "render.sbs";
    /// `render.bgColor=R,G,B,A`.
    pub const RENDER_BG_COLOR: &str = "render.bgColor";
    /// `render.backdrop=studio`.
    pub const RENDER_BACKDROP: &str = "render.backdrop";
    /// `render.shadow=0|1`.
    pub const RENDER_SHADOW: &str = "render.shadow";
    /// `render.includeAudio=0|1`.
    pub const RENDER_INCLUDE_AUDIO: &str = "render.includeAudio";
    /// `render.CamMode=0|1|2`.
    pub const RENDER_CAM_MODE: &str = "render.CamMode";
}

use crate::parameter_spec::ProcessParameterSpec;
// The `/process` parameter table generated from `specs/deepmotion.json`
// (`cargo xtask codegen`): the checks below read their keys and ranges
// from it.
use crate::process_table::{PARAMETER_KEYS, PROCESS_PARAMETERS};

/// The canonical key for a key or alias, compared exactly (keys are case
/// sensitive): `poseEstimation.footLockingMode` gives `footLockingMode`.
pub fn canonical_key(key: &str) -> Option<&'static str> {
    PARAMETER_KEYS
        .iter()
        .find(|(canonical, aliases)| *canonical == key || aliases.contains(&key))
        .map(|(canonical, _)| *canonical)
}

/// The `(minimum, maximum)` of a number parameter in `table`, if it has
/// both.
fn range_in(table: &[ProcessParameterSpec], key: &str) -> Option<(f64, f64)> {
    let spec = table.iter().find(|p| p.key == key)?;
    Some((spec.minimum?, spec.maximum?))
}

/// What was uploaded: a video or a single image (static pose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// A video file.
    Video,
    /// A still image: enables `png`/`jpg` output, forbids `trim`.
    Image,
}

impl From<crate::media::MediaKind> for InputKind {
    fn from(kind: crate::media::MediaKind) -> Self {
        match kind {
            crate::media::MediaKind::Video => InputKind::Video,
            crate::media::MediaKind::Picture => InputKind::Image,
        }
    }
}

/// Declares a string-valued enumeration with its wire names.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $field:expr, { $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }

            /// The value for a wire name, ignoring ASCII case.
            pub fn from_wire(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(name))
            }

            /// Every wire name, in documentation order.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Violation;

            /// Parses a wire name, ignoring ASCII case; fails with
            /// [`Rule::OneOf`].
            fn from_str(s: &str) -> Result<Self, Violation> {
                Self::from_wire(s).ok_or_else(|| {
                    Violation::new($field, Rule::OneOf, s, one_of_limit(&Self::names()))
                })
            }
        }
    };
}

wire_enum! {
    /// An output file format for `formats=`.
    OutputFormat, keys::FORMATS, {
        /// BVH animation.
        Bvh => "bvh",
        /// FBX animation.
        Fbx => "fbx",
        /// Rendered MP4 video.
        Mp4 => "mp4",
        /// GLB (binary glTF) animation.
        Glb => "glb",
        /// Pose-estimation landmarks (`landmarks.dmpe`).
        Dmpe => "dmpe",
        /// Rendered PNG still; image input only.
        Png => "png",
        /// Rendered JPG still; image input only.
        Jpg => "jpg",
    }
}

impl OutputFormat {
    /// True for `png` and `jpg`, which the doc allows only for a static
    /// pose from an image input.
    pub fn is_image_only(self) -> bool {
        matches!(self, OutputFormat::Png | OutputFormat::Jpg)
    }

    /// True for the rendered formats (`mp4`, `png`, `jpg`) that the
    /// `render.*` options affect.
    pub fn is_rendered(self) -> bool {
        matches!(
            self,
            OutputFormat::Mp4 | OutputFormat::Png | OutputFormat::Jpg
        )
    }
}

wire_enum! {
    /// `footLockingMode` (alias `poseEstimation.footLockingMode`).
    FootLockingMode, keys::FOOT_LOCKING_MODE, {
        /// Default: switches automatically between locking and gliding.
        Auto => "auto",
        /// Foot locking all the time.
        Always => "always",
        /// No foot locking and no grounding (in the air or water).
        Never => "never",
        /// No foot locking, but the character stays grounded.
        Grounding => "grounding",
    }
}

/// `render.CamMode`: how the camera follows the character in renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CamMode {
    /// `0`, the default: the character is kept in the centre of the frame.
    Cinematic,
    /// `1`: the camera stays fixed relative to the background.
    Fixed,
    /// `2`: the camera keeps the torso and face in the centre of the frame.
    Face,
}

impl CamMode {
    /// Every mode, by wire value.
    pub const ALL: [CamMode; 3] = [CamMode::Cinematic, CamMode::Fixed, CamMode::Face];

    /// The wire value: 0, 1 or 2.
    pub fn code(self) -> u8 {
        match self {
            CamMode::Cinematic => 0,
            CamMode::Fixed => 1,
            CamMode::Face => 2,
        }
    }

    /// The mode for a wire value.
    pub fn from_code(code: u8) -> Option<CamMode> {
        CamMode::ALL.get(usize::from(code)).copied()
    }
}

impl fmt::Display for CamMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl FromStr for CamMode {
    type Err = Violation;

    /// Parses `0`, `1` or `2`; fails with [`Rule::OneOf`].
    fn from_str(s: &str) -> Result<Self, Violation> {
        let code = match s {
            "0" => Some(0),
            "1" => Some(1),
            "2" => Some(2),
            _ => None,
        };
        code.and_then(CamMode::from_code).ok_or_else(|| {
            Violation::new(
                keys::RENDER_CAM_MODE,
                Rule::OneOf,
                s,
                "one of: 0 (Cinematic), 1 (Fixed), 2 (Face)",
            )
        })
    }
}

/// Every documented `/process` parameter; `None` (or an empty `formats`)
/// leaves it out so the server default applies.
///
/// Flags are `bool` and go on the wire as `0`/`1`. See the module docs for
/// an example.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessParams {
    /// `config`, for example `configDefault`.
    pub config: Option<String>,
    /// `formats`, for example `bvh,fbx,mp4`.
    pub formats: Vec<OutputFormat>,
    /// Output formats this crate does not know (a newer API's), sent after
    /// [`ProcessParams::formats`] in the same `formats=` list, exactly as
    /// given. Each is reported by [`ProcessParams::warnings`].
    pub extra_formats: Vec<String>,
    /// `model`: a character model id (from the custom character API).
    pub model: Option<String>,
    /// `sim`: physics simulation; off by default.
    pub sim: Option<bool>,
    /// `trackFace`: basic facial expressions; off by default.
    pub track_face: Option<bool>,
    /// `trackHand`: hand and finger tracking; off by default.
    pub track_hand: Option<bool>,
    /// `footLockingMode`; `auto` by default.
    pub foot_locking_mode: Option<FootLockingMode>,
    /// `videoSpeedMultiplier`, 1.0 to 8.0; 1.0 by default.
    pub video_speed_multiplier: Option<f64>,
    /// `poseFilteringStrength`, 0.0 to 1.0; 0.0 by default.
    pub pose_filtering_strength: Option<f64>,
    /// `rootAtOrigin`; off by default.
    pub root_at_origin: Option<bool>,
    /// `trim`, video input only.
    pub trim: Option<Trim>,
    /// `crop`.
    pub crop: Option<Crop>,
    /// `render.sbs`: `false` renders only the character, without the
    /// original video side by side.
    pub render_sbs: Option<bool>,
    /// `render.bgColor`, RGBA; the alpha channel has no effect.
    pub render_bg_color: Option<[u8; 4]>,
    /// `render.backdrop`, for example `studio`.
    pub render_backdrop: Option<String>,
    /// `render.shadow`: character shadow.
    pub render_shadow: Option<bool>,
    /// `render.includeAudio`: keep the input's audio; on by default.
    pub render_include_audio: Option<bool>,
    /// `render.CamMode`; [`CamMode::Cinematic`] by default.
    pub render_cam_mode: Option<CamMode>,
    /// Parameters this crate does not know (a newer API's, or ones the
    /// documents only mention, such as `camera`), sent exactly as given
    /// after the typed ones. They are not checked; each is reported by
    /// [`ProcessParams::warnings`].
    pub extra: Vec<(String, String)>,
}

impl ProcessParams {
    /// No parameters: every server default applies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter this crate does not know, sent as `key=value`
    /// exactly as given (see [`ProcessParams::extra`]).
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((key.into(), value.into()));
        self
    }

    /// Adds an output format this crate does not know, sent as given in
    /// the `formats=` list (see [`ProcessParams::extra_formats`]).
    pub fn extra_format(mut self, format: impl Into<String>) -> Self {
        self.extra_formats.push(format.into());
        self
    }

    /// Sets `config`.
    pub fn config(mut self, config: impl Into<String>) -> Self {
        self.config = Some(config.into());
        self
    }

    /// Replaces `formats`.
    pub fn formats(mut self, formats: impl IntoIterator<Item = OutputFormat>) -> Self {
        self.formats = formats.into_iter().collect();
        self
    }

    /// Adds one format to `formats`.
    pub fn format(mut self, format: OutputFormat) -> Self {
        self.formats.push(format);
        self
    }

    /// Sets `model`.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets `sim`.
    pub fn sim(mut self, on: bool) -> Self {
        self.sim = Some(on);
        self
    }

    /// Sets `trackFace`.
    pub fn track_face(mut self, on: bool) -> Self {
        self.track_face = Some(on);
        self
    }

    /// Sets `trackHand`.
    pub fn track_hand(mut self, on: bool) -> Self {
        self.track_hand = Some(on);
        self
    }

    /// Sets `footLockingMode`.
    pub fn foot_locking_mode(mut self, mode: FootLockingMode) -> Self {
        self.foot_locking_mode = Some(mode);
        self
    }

    /// Sets `videoSpeedMultiplier`.
    pub fn video_speed_multiplier(mut self, multiplier: f64) -> Self {
        self.video_speed_multiplier = Some(multiplier);
        self
    }

    /// Sets `poseFilteringStrength`.
    pub fn pose_filtering_strength(mut self, strength: f64) -> Self {
        self.pose_filtering_strength = Some(strength);
        self
    }

    /// Sets `rootAtOrigin`.
    pub fn root_at_origin(mut self, on: bool) -> Self {
        self.root_at_origin = Some(on);
        self
    }

    /// Sets `trim` from `from` to `to` seconds.
    pub fn trim(mut self, from: f64, to: f64) -> Self {
        self.trim = Some(Trim::new(from, to));
        self
    }

    /// Sets `crop` in normalised coordinates.
    pub fn crop(mut self, left: f64, top: f64, right: f64, bottom: f64) -> Self {
        self.crop = Some(Crop::new(left, top, right, bottom));
        self
    }

    /// Sets `render.sbs`.
    pub fn render_sbs(mut self, on: bool) -> Self {
        self.render_sbs = Some(on);
        self
    }

    /// Sets `render.bgColor` as `[R, G, B, A]`.
    pub fn render_bg_color(mut self, rgba: [u8; 4]) -> Self {
        self.render_bg_color = Some(rgba);
        self
    }

    /// Sets `render.backdrop`.
    pub fn render_backdrop(mut self, backdrop: impl Into<String>) -> Self {
        self.render_backdrop = Some(backdrop.into());
        self
    }

    /// Sets `render.shadow`.
    pub fn render_shadow(mut self, on: bool) -> Self {
        self.render_shadow = Some(on);
        self
    }

    /// Sets `render.includeAudio`.
    pub fn render_include_audio(mut self, on: bool) -> Self {
        self.render_include_audio = Some(on);
        self
    }

    /// Sets `render.CamMode`.
    pub fn render_cam_mode(mut self, mode: CamMode) -> Self {
        self.render_cam_mode = Some(mode);
        self
    }

    /// True when any `render.*` option is set.
    pub fn has_render_options(&self) -> bool {
        self.render_sbs.is_some()
            || self.render_bg_color.is_some()
            || self.render_backdrop.is_some()
            || self.render_shadow.is_some()
            || self.render_include_audio.is_some()
            || self.render_cam_mode.is_some()
    }

    /// Checks every parameter and sorts every finding by [`Severity`].
    ///
    /// Errors, each under its canonical key, in [`PARAMETER_KEYS`] order:
    ///
    /// - `config`, `model`, `render.backdrop`: non-empty, without whitespace
    ///   or control characters ([`Rule::Syntax`]).
    /// - `formats`: no format twice ([`Rule::Duplicate`]); `png`/`jpg` only
    ///   for [`InputKind::Image`] ([`Rule::ImageInputOnly`]).
    /// - `videoSpeedMultiplier` in `1.0..=8.0`, `poseFilteringStrength` in
    ///   `0.0..=1.0` ([`Rule::Range`], [`Rule::NotFinite`]).
    /// - `trim`: only for [`InputKind::Video`] ([`Rule::VideoInputOnly`]),
    ///   then [`Trim::validate`].
    /// - `crop`: [`Crop::validate`].
    /// - extra parameters and formats: well-formed and bounded.
    ///
    /// Documented failures (refused unless forced): `trim` ending after
    /// `duration` (seconds, when known; error 503), and `sim=1` with a
    /// custom `model` (error 505).
    ///
    /// Warnings: see [`ProcessParams::warnings`].
    pub fn check(&self, input: InputKind, duration: Option<f64>) -> Findings {
        self.check_in(PROCESS_PARAMETERS, input, duration)
    }

    /// [`ProcessParams::check`] with the ranges of another parameter table.
    fn check_in(
        &self,
        table: &[ProcessParameterSpec],
        input: InputKind,
        duration: Option<f64>,
    ) -> Findings {
        let mut found = Findings::new();
        let mut record = |result: Result<(), Violation>| {
            if let Err(v) = result {
                found.push(v);
            }
        };
        if let Some(config) = &self.config {
            record(token(keys::CONFIG, config));
        }
        let mut seen: Vec<OutputFormat> = Vec::with_capacity(self.formats.len());
        for &format in &self.formats {
            if seen.contains(&format) {
                record(Err(Violation::new(
                    keys::FORMATS,
                    Rule::Duplicate,
                    format.as_str(),
                    "each format at most once",
                )));
                continue;
            }
            seen.push(format);
            if format.is_image_only() && input == InputKind::Video {
                record(Err(Violation::new(
                    keys::FORMATS,
                    Rule::ImageInputOnly,
                    format.as_str(),
                    "png and jpg output only for an image input (static pose)",
                )));
            }
        }
        for (index, format) in self.extra_formats.iter().enumerate() {
            record(check_extra_format(&self.extra_formats[..index], format));
        }
        if let Some(model) = &self.model {
            record(token(keys::MODEL, model));
        }
        let numbers = [
            (keys::VIDEO_SPEED_MULTIPLIER, self.video_speed_multiplier),
            (keys::POSE_FILTERING_STRENGTH, self.pose_filtering_strength),
        ];
        for (key, value) in numbers {
            if let (Some(v), Some((min, max))) = (value, range_in(table, key)) {
                record(range_f64(key, v, min, max).map(drop));
            }
        }
        if let Some(trim) = &self.trim {
            match input {
                InputKind::Image => record(Err(Violation::new(
                    keys::TRIM,
                    Rule::VideoInputOnly,
                    trim.to_string(),
                    "trim only for a video input",
                ))),
                InputKind::Video => {
                    if let Err(broken) = trim.validate(duration) {
                        found.extend(broken);
                    }
                }
            }
        }
        if let Some(crop) = &self.crop {
            if let Err(broken) = crop.validate() {
                found.extend(broken);
            }
        }
        if let Some(backdrop) = &self.render_backdrop {
            found.extend(token(keys::RENDER_BACKDROP, backdrop).err());
        }
        for (index, (key, value)) in self.extra.iter().enumerate() {
            found.extend(check_extra(&self.extra[..index], key, value).err());
        }
        if self.sim == Some(true) {
            if let Some(model) = &self.model {
                found.push(
                    Violation::new(
                        keys::SIM,
                        Rule::Conflict,
                        format!("sim=1 with model={model}"),
                        "sim=0 for custom characters (DeepMotion fails the job with error \
                         505: physics filter is incompatible with custom characters)",
                    )
                    .with_severity(Severity::DocumentedFailure),
                );
            }
        }
        found.extend(self.warnings());
        found
    }

    /// [`ProcessParams::check`] when the input's kind is not known yet (a
    /// rerun, before its job is read): only the errors and documented
    /// failures that hold for a video and a picture alike.
    pub fn check_any_input(&self, duration: Option<f64>) -> Findings {
        let video = self.check(InputKind::Video, duration);
        let picture = self.check(InputKind::Image, duration);
        let mut found = Findings::new();
        found.extend(
            video
                .errors
                .into_iter()
                .filter(|v| picture.errors.0.contains(v)),
        );
        found.extend(
            video
                .failures
                .into_iter()
                .filter(|v| picture.failures.contains(v)),
        );
        found.extend(video.warnings);
        found
    }

    /// The errors of [`ProcessParams::check`]: the rules the documents
    /// state. Documented failures and warnings are not reported here.
    ///
    /// # Errors
    ///
    /// Every error found.
    pub fn validate(&self, input: InputKind, duration: Option<f64>) -> Result<(), Violations> {
        self.check(input, duration).errors.into_result(())
    }

    /// Our own inferences, as [`Severity::Warning`]s that never block:
    ///
    /// - a parameter or output format this crate does not know: sent as
    ///   given ([`Rule::UnknownParameter`], [`Rule::OneOf`]);
    /// - `render.bgColor` or `render.backdrop` without `render.sbs=0`: the
    ///   doc only documents them together with `render.sbs=0`
    ///   ([`Rule::Conflict`]);
    /// - `render.*` options while `formats` is given but has no rendered
    ///   format (`mp4`, `png`, `jpg`).
    pub fn warnings(&self) -> Vec<Violation> {
        let mut out: Vec<Violation> = self
            .extra
            .iter()
            .map(|(key, value)| unknown_key(key, &format!("{key}={value}")))
            .collect();
        out.extend(self.extra_formats.iter().map(|format| {
            Violation::new(
                keys::FORMATS,
                Rule::OneOf,
                format,
                format!(
                    "{}; not one of them, so it is sent as given",
                    one_of_limit(&OutputFormat::names())
                ),
            )
        }));
        if self.render_sbs != Some(false) {
            if let Some(color) = self.render_bg_color {
                out.push(Violation::new(
                    keys::RENDER_BG_COLOR,
                    Rule::Conflict,
                    format_rgba(color),
                    "takes effect only with render.sbs=0",
                ));
            }
            if let Some(backdrop) = &self.render_backdrop {
                out.push(Violation::new(
                    keys::RENDER_BACKDROP,
                    Rule::Conflict,
                    backdrop,
                    "takes effect only with render.sbs=0",
                ));
            }
        }
        if self.has_render_options()
            && !(self.formats.is_empty() && self.extra_formats.is_empty())
            && !self.formats.iter().any(|f| f.is_rendered())
        {
            out.push(Violation::new(
                keys::FORMATS,
                Rule::Conflict,
                self.formats_value(),
                "render.* options only affect mp4, png and jpg output",
            ));
        }
        out.into_iter().map(Violation::into_warning).collect()
    }

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
            // `canonical` always comes from PARAMETER_KEYS.
            other => return Err(unknown_key(other, value)),
        }
        Ok(())
    }
}

impl ProcessParams {
    /// The `formats=` value: known formats, then the extra ones.
    fn formats_value(&self) -> String {
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
fn check_extra_format(earlier: &[String], format: &str) -> Result<(), Violation> {
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
fn unknown_key(key: &str, raw: &str) -> Violation {
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
fn check_extra(earlier: &[(String, String)], key: &str, value: &str) -> Result<(), Violation> {
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
fn token(field: &str, value: &str) -> Result<(), Violation> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process_table::VIDEO_SPEED_MULTIPLIER_RANGE;

    fn rules_and_fields(err: &Violations) -> Vec<(String, Rule)> {
        err.iter().map(|v| (v.field.clone(), v.rule)).collect()
    }

    #[test]
    fn the_generated_table_drives_the_checks() {
        // Shipped table: videoSpeedMultiplier is 1.0..=8.0.
        let params = ProcessParams::new().video_speed_multiplier(6.0);
        assert!(params.validate(InputKind::Video, None).is_ok());
        assert_eq!(VIDEO_SPEED_MULTIPLIER_RANGE, (1.0, 8.0));
        // The same table with the range the spec would have after a change
        // (xtask/tests/codegen.rs shows codegen writes it): 6 is refused.
        let narrowed: Vec<ProcessParameterSpec> = PROCESS_PARAMETERS
            .iter()
            .map(|p| match p.key {
                keys::VIDEO_SPEED_MULTIPLIER => ProcessParameterSpec {
                    maximum: Some(4.0),
                    ..*p
                },
                _ => *p,
            })
            .collect();
        let found = params.check_in(&narrowed, InputKind::Video, None);
        assert_eq!(found.errors.len(), 1);
        assert_eq!(found.errors.0[0].rule, Rule::Range);
        assert_eq!(found.errors.0[0].limit, "1.0..=4.0");
    }

    #[test]
    fn enumerations_match_the_generated_table() {
        let values = |key: &str| {
            let mut v: Vec<&str> = PROCESS_PARAMETERS
                .iter()
                .find(|p| p.key == key)
                .unwrap()
                .values
                .to_vec();
            v.sort_unstable();
            v
        };
        let sorted = |mut v: Vec<&'static str>| {
            v.sort_unstable();
            v
        };
        assert_eq!(sorted(OutputFormat::names()), values(keys::FORMATS));
        assert_eq!(
            sorted(FootLockingMode::names()),
            values(keys::FOOT_LOCKING_MODE)
        );
        let modes: Vec<String> = CamMode::ALL.iter().map(|m| m.code().to_string()).collect();
        assert_eq!(values(keys::RENDER_CAM_MODE), modes);
        // Every typed key is in the table, and the table has no other key.
        for (key, _) in PARAMETER_KEYS {
            assert!(canonical_key(key).is_some());
        }
        assert_eq!(PARAMETER_KEYS.len(), PROCESS_PARAMETERS.len());
    }

    #[test]
    fn eighteen_keys() {
        assert_eq!(PARAMETER_KEYS.len(), 18);
        assert_eq!(
            canonical_key("poseEstimation.videoSpeedMultiplier"),
            Some("videoSpeedMultiplier")
        );
        assert_eq!(canonical_key("render.CamMode"), Some("render.CamMode"));
        assert_eq!(canonical_key("render.cammode"), None);
    }

    #[test]
    fn every_field_renders_in_order() {
        let params = ProcessParams::new()
            .config("configDefault")
            .formats([OutputFormat::Bvh, OutputFormat::Fbx, OutputFormat::Mp4])
            .model("abc123")
            .sim(false)
            .track_face(true)
            .track_hand(true)
            .foot_locking_mode(FootLockingMode::Grounding)
            .video_speed_multiplier(2.0)
            .pose_filtering_strength(0.5)
            .root_at_origin(true)
            .trim(1.0, 2.6)
            .crop(0.239, 0.121, 0.742, 0.981)
            .render_sbs(false)
            .render_bg_color([0, 177, 64, 0])
            .render_backdrop("studio")
            .render_shadow(true)
            .render_include_audio(false)
            .render_cam_mode(CamMode::Face);
        let wire = params.to_params();
        assert_eq!(
            wire,
            [
                "config=configDefault",
                "formats=bvh,fbx,mp4",
                "model=abc123",
                "sim=0",
                "trackFace=1",
                "trackHand=1",
                "footLockingMode=grounding",
                "videoSpeedMultiplier=2",
                "poseFilteringStrength=0.5",
                "rootAtOrigin=1",
                "trim=1,2.6",
                "crop=0.239,0.121,0.742,0.981",
                "render.sbs=0",
                "render.bgColor=0,177,64,0",
                "render.backdrop=studio",
                "render.shadow=1",
                "render.includeAudio=0",
                "render.CamMode=2",
            ]
        );
        assert_eq!(ProcessParams::parse(&wire).unwrap(), params);
        assert!(params.validate(InputKind::Video, Some(3.0)).is_ok());
        assert!(params.warnings().is_empty());
    }

    #[test]
    fn aliases_parse_to_canonical_keys() {
        let parsed = ProcessParams::parse(&[
            "poseEstimation.footLockingMode=Never",
            "poseEstimation.videoSpeedMultiplier=2",
            "poseEstimation.poseFilteringStrength=0.25",
            " formats = BVH, fbx ",
        ])
        .unwrap();
        assert_eq!(parsed.foot_locking_mode, Some(FootLockingMode::Never));
        assert_eq!(parsed.video_speed_multiplier, Some(2.0));
        assert_eq!(parsed.pose_filtering_strength, Some(0.25));
        assert_eq!(parsed.formats, [OutputFormat::Bvh, OutputFormat::Fbx]);
        assert_eq!(
            parsed.to_params(),
            [
                "formats=bvh,fbx",
                "footLockingMode=never",
                "videoSpeedMultiplier=2",
                "poseFilteringStrength=0.25",
            ]
        );
    }

    #[test]
    fn parse_reports_everything() {
        let err = ProcessParams::parse(&[
            "sim",
            "=1",
            "",
            "trackface=1",
            "bogus=1",
            "footLockingMode=auto",
            "poseEstimation.footLockingMode=never",
            "formats=bvh,,fbx",
            "render.CamMode=3",
            "render.bgColor=0,177,64",
            "trim=1",
            "crop=a,b,c,d",
            "videoSpeedMultiplier=fast",
            "poseFilteringStrength=NaN",
            "rootAtOrigin=2",
            "model=",
        ])
        .unwrap_err();
        let expected: Vec<(String, Rule)> = [
            ("sim", Rule::Syntax),
            ("params[1]", Rule::Syntax),
            ("params[2]", Rule::Syntax),
            ("poseEstimation.footLockingMode", Rule::Duplicate),
            ("formats", Rule::Syntax),
            ("render.CamMode", Rule::OneOf),
            ("render.bgColor", Rule::Rgba),
            ("trim", Rule::Syntax),
            ("crop", Rule::Syntax),
            ("videoSpeedMultiplier", Rule::Syntax),
            ("poseFilteringStrength", Rule::NotFinite),
            ("rootAtOrigin", Rule::Flag),
            ("model", Rule::Syntax),
        ]
        .into_iter()
        .map(|(f, r)| (f.to_owned(), r))
        .collect();
        assert_eq!(rules_and_fields(&err), expected);
    }

    #[test]
    fn unknown_parameters_pass_through_with_a_warning() {
        let parsed = ProcessParams::parse(&["formats=bvh", "camera=1", "trackface=1"]).unwrap();
        assert_eq!(
            parsed.extra,
            [
                ("camera".to_owned(), "1".to_owned()),
                ("trackface".to_owned(), "1".to_owned())
            ]
        );
        assert!(parsed.validate(InputKind::Video, None).is_ok());
        assert_eq!(
            parsed.to_params(),
            ["formats=bvh", "camera=1", "trackface=1"]
        );
        let warnings = parsed.warnings();
        assert_eq!(warnings.len(), 2);
        assert_eq!(warnings[0].rule, Rule::UnknownParameter);
        assert_eq!(warnings[0].field, "camera");
        assert!(
            warnings[1].limit.contains("did you mean trackFace?"),
            "{}",
            warnings[1]
        );
        let built = ProcessParams::new().extra("camera", "1");
        assert_eq!(built.to_params(), ["camera=1"]);
        assert_eq!(ProcessParams::parse(&built.to_params()).unwrap(), built);
        // A documented key goes through its typed setter; an extra is given once.
        let err = ProcessParams::new()
            .extra("sim", "1")
            .extra("camera", "1")
            .extra("camera", "2")
            .extra("bad key", "x")
            .validate(InputKind::Video, None)
            .unwrap_err();
        assert_eq!(
            rules_and_fields(&err),
            [
                ("sim".to_owned(), Rule::Duplicate),
                ("camera".to_owned(), Rule::Duplicate),
                ("bad key".to_owned(), Rule::Syntax),
            ]
        );
        let err = ProcessParams::parse(&["camera=1", "camera=2"]).unwrap_err();
        assert_eq!(err.0[0].rule, Rule::Duplicate);
    }

    #[test]
    fn huge_keys_are_shortened() {
        let key = "k".repeat(10_000);
        let err = ProcessParams::parse(&[format!("{key}=1"), key.clone()]).unwrap_err();
        assert_eq!(err.len(), 2);
        for v in err.iter() {
            assert!(v.field.chars().count() <= crate::error::VALUE_EXCERPT_CHARS + 1);
            assert!(v.value.chars().count() <= crate::error::VALUE_EXCERPT_CHARS + 1);
        }
    }

    #[test]
    fn unknown_enum_values() {
        let err =
            ProcessParams::parse(&["formats=bvh,gif", "footLockingMode=sometimes"]).unwrap_err();
        assert_eq!(err.len(), 1, "{err}");
        assert_eq!(err.0[0].rule, Rule::OneOf);
        assert_eq!(err.0[0].field, "footLockingMode");
        // An output format this crate does not know is sent as given, with a
        // warning: the documents give no closed list of formats.
        let parsed = ProcessParams::parse(&["formats=bvh,USDZ"]).unwrap();
        assert_eq!(parsed.formats, [OutputFormat::Bvh]);
        assert_eq!(parsed.extra_formats, ["USDZ"]);
        assert_eq!(parsed.to_params(), ["formats=bvh,USDZ"]);
        let warnings = parsed.warnings();
        assert_eq!(warnings.len(), 1);
        assert_eq!(
            (warnings[0].rule, warnings[0].value.as_str()),
            (Rule::OneOf, "USDZ")
        );
        assert!(warnings[0].is_warning());
        assert!(parsed.validate(InputKind::Video, None).is_ok());
        // Still well-formed and bounded.
        for bad in [
            "formats=bvh,a b",
            "formats=usdz,USDZ",
            &format!("formats={}", "x".repeat(33)),
        ] {
            assert!(ProcessParams::parse(&[bad]).is_err(), "{bad}");
        }
        let err = ProcessParams::parse(&["poseEstimation.footLockingMode=x"]).unwrap_err();
        assert_eq!(err.0[0].field, "poseEstimation.footLockingMode");
    }

    #[test]
    fn validate_cross_field_rules() {
        let params = ProcessParams::new()
            .formats([OutputFormat::Bvh, OutputFormat::Png, OutputFormat::Bvh])
            .trim(0.0, 1.0);
        let err = params.validate(InputKind::Video, None).unwrap_err();
        assert_eq!(
            rules_and_fields(&err),
            [
                ("formats".to_owned(), Rule::ImageInputOnly),
                ("formats".to_owned(), Rule::Duplicate),
            ]
        );
        let err = params.validate(InputKind::Image, None).unwrap_err();
        assert_eq!(
            rules_and_fields(&err),
            [
                ("formats".to_owned(), Rule::Duplicate),
                ("trim".to_owned(), Rule::VideoInputOnly),
            ]
        );
    }

    #[test]
    fn validate_ranges_and_tokens() {
        let params = ProcessParams::new()
            .config("")
            .model("my model")
            .video_speed_multiplier(8.5)
            .pose_filtering_strength(f64::NAN)
            .trim(2.0, 11.0)
            .crop(0.5, 0.0, 0.5, 1.0)
            .render_backdrop("studio\n");
        let err = params.validate(InputKind::Video, Some(10.0)).unwrap_err();
        assert_eq!(
            rules_and_fields(&err),
            [
                ("config".to_owned(), Rule::Syntax),
                ("model".to_owned(), Rule::Syntax),
                ("videoSpeedMultiplier".to_owned(), Rule::Range),
                ("poseFilteringStrength".to_owned(), Rule::NotFinite),
                ("crop".to_owned(), Rule::CropOrder),
                ("render.backdrop".to_owned(), Rule::Syntax),
            ]
        );
        assert_eq!(err.0[2].limit, "1.0..=8.0");
        // Beyond the duration is a documented failure (error 503), not an error.
        let findings = params.check(InputKind::Video, Some(10.0));
        assert_eq!(findings.failures.len(), 1);
        assert_eq!(findings.failures[0].rule, Rule::TrimBeyondDuration);
    }

    #[test]
    fn image_input_allows_png() {
        let params =
            ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Fbx, OutputFormat::Png]);
        assert!(params.validate(InputKind::Image, None).is_ok());
        assert_eq!(params.to_params(), ["formats=bvh,fbx,png"]);
    }

    #[test]
    fn advisories_for_ineffective_combinations() {
        let params = ProcessParams::new()
            .formats([OutputFormat::Bvh])
            .render_bg_color([0, 177, 64, 0])
            .render_backdrop("studio")
            .sim(true)
            .model("m1");
        let fields: Vec<String> = params.warnings().into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["render.bgColor", "render.backdrop", "formats"]);
        assert!(params.warnings().iter().all(Violation::is_warning));
        assert!(params.validate(InputKind::Video, None).is_ok());
        // sim=1 with a custom model is a documented failure (error 505):
        // refused unless forced, reported either way.
        let findings = params.check(InputKind::Video, None);
        assert!(findings.errors.is_empty());
        assert_eq!(findings.failures.len(), 1);
        assert_eq!(findings.failures[0].field, "sim");
        assert_eq!(findings.failures[0].severity, Severity::DocumentedFailure);
        assert_eq!(findings.warnings.len(), 3);
        let refused = findings.clone().into_result(false).unwrap_err();
        assert_eq!(refused.0[0].field, "sim");
        assert_eq!(findings.into_result(true).unwrap().len(), 4);
        let fine = ProcessParams::new()
            .formats([OutputFormat::Mp4])
            .render_sbs(false)
            .render_bg_color([0, 177, 64, 0]);
        assert!(fine.warnings().is_empty());
    }

    #[test]
    fn enum_strings() {
        assert_eq!("MP4".parse::<OutputFormat>(), Ok(OutputFormat::Mp4));
        assert_eq!("1".parse::<CamMode>(), Ok(CamMode::Fixed));
        assert_eq!("x".parse::<CamMode>().unwrap_err().rule, Rule::OneOf);
        assert_eq!(CamMode::from_code(3), None);
        assert_eq!(
            FootLockingMode::names(),
            ["auto", "always", "never", "grounding"]
        );
    }
}
