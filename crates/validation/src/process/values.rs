//! The enumerations of `/process`: input kind, output formats, foot
//! locking mode and camera mode, with their wire names.

use super::*;

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
