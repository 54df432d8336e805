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
//! params.validate(InputKind::Video, Some(10.0)).errors_only().unwrap();
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

mod check;
#[macro_use]
mod values;
mod people;
mod wire;

pub use people::{PersonModel, Pipeline};
pub use values::{CamMode, FootLockingMode, InputKind, OutputFormat};
pub use wire::{MAX_EXTRA_FORMAT_CHARS, MAX_EXTRA_KEY_CHARS, MAX_EXTRA_VALUE_CHARS};
use wire::{check_extra, check_extra_format, token, unknown_key};

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
    /// `pipeline=mp_detection`: a multi-person detection job (source: the
    /// official SDK dm-animate3d-api 1.0.2).
    pub const PIPELINE: &str = "pipeline";
    /// `models=[{"trackingId":"001","modelId":"..."}]`: the people of a
    /// multi-person animation job (source: the official SDK
    /// dm-animate3d-api 1.0.2).
    pub const MODELS: &str = "models";
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
    /// `pipeline`: [`Pipeline::MpDetection`] for a multi-person detection
    /// job. Source: the official SDK dm-animate3d-api 1.0.2.
    pub pipeline: Option<Pipeline>,
    /// `models`: the people of a multi-person animation job and their
    /// character models; left out when empty. Source: the official SDK
    /// dm-animate3d-api 1.0.2.
    pub models: Vec<PersonModel>,
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

    /// Sets `pipeline`.
    pub fn pipeline(mut self, pipeline: Pipeline) -> Self {
        self.pipeline = Some(pipeline);
        self
    }

    /// Sets `models`, the people of a multi-person animation job.
    pub fn models(mut self, models: impl IntoIterator<Item = PersonModel>) -> Self {
        self.models = models.into_iter().collect();
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
}

#[cfg(test)]
mod tests;
