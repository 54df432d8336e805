//! Processing flags → [`ProcessParams`], with errors that name the flag.

use motionkit_validation::process::{InputKind, ProcessParams, canonical_key, keys};
use motionkit_validation::{Violation, Violations};

use crate::args::ProcessArgs;

/// Flag ↔ wire key, for messages that name what the user typed.
const FLAGS: &[(&str, &str)] = &[
    ("--config", keys::CONFIG),
    ("--formats", keys::FORMATS),
    ("--model", keys::MODEL),
    ("--sim", keys::SIM),
    ("--track-face", keys::TRACK_FACE),
    ("--track-hand", keys::TRACK_HAND),
    ("--foot-locking", keys::FOOT_LOCKING_MODE),
    ("--speed-multiplier", keys::VIDEO_SPEED_MULTIPLIER),
    ("--pose-filtering", keys::POSE_FILTERING_STRENGTH),
    ("--root-at-origin", keys::ROOT_AT_ORIGIN),
    ("--trim", keys::TRIM),
    ("--crop", keys::CROP),
    ("--render-sbs", keys::RENDER_SBS),
    ("--render-bg-color", keys::RENDER_BG_COLOR),
    ("--render-backdrop", keys::RENDER_BACKDROP),
    ("--render-shadow", keys::RENDER_SHADOW),
    ("--render-include-audio", keys::RENDER_INCLUDE_AUDIO),
    ("--render-cam-mode", keys::RENDER_CAM_MODE),
];

fn flag_for(field: &str) -> Option<&'static str> {
    let canonical = canonical_key(field)?;
    FLAGS
        .iter()
        .find(|(_, key)| *key == canonical)
        .map(|(flag, _)| *flag)
}

/// Renames violation fields from wire keys to the flags that set them.
pub fn name_flags(violations: Violations) -> Violations {
    Violations(
        violations
            .into_iter()
            .map(|mut v: Violation| {
                if let Some(flag) = flag_for(&v.field) {
                    v.field = format!("{flag} ({})", v.field);
                }
                v
            })
            .collect(),
    )
}

impl ProcessArgs {
    /// The wire strings these flags stand for, `--param` values last.
    pub fn to_wire(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut put = |key: &str, value: Option<&str>| {
            if let Some(value) = value {
                out.push(format!("{key}={value}"));
            }
        };
        let on = |b: bool| b.then_some("1");
        put(keys::CONFIG, self.config.as_deref());
        put(keys::FORMATS, self.formats.as_deref());
        put(keys::MODEL, self.model.as_deref());
        put(keys::SIM, on(self.sim));
        put(keys::TRACK_FACE, on(self.track_face));
        put(keys::TRACK_HAND, on(self.track_hand));
        put(keys::FOOT_LOCKING_MODE, self.foot_locking.as_deref());
        put(
            keys::VIDEO_SPEED_MULTIPLIER,
            self.speed_multiplier.as_deref(),
        );
        put(
            keys::POSE_FILTERING_STRENGTH,
            self.pose_filtering.as_deref(),
        );
        put(keys::ROOT_AT_ORIGIN, on(self.root_at_origin));
        put(keys::TRIM, self.trim.as_deref());
        put(keys::CROP, self.crop.as_deref());
        put(keys::RENDER_SBS, self.render_sbs.as_deref());
        put(keys::RENDER_BG_COLOR, self.render_bg_color.as_deref());
        put(keys::RENDER_BACKDROP, self.render_backdrop.as_deref());
        put(keys::RENDER_SHADOW, on(self.render_shadow));
        put(
            keys::RENDER_INCLUDE_AUDIO,
            self.render_include_audio.as_deref(),
        );
        put(keys::RENDER_CAM_MODE, self.render_cam_mode.as_deref());
        out.extend(self.params.iter().cloned());
        out
    }

    /// The parameters, parsed and checked for `input` (duration unknown).
    /// Every problem is reported at once, under the flag's name.
    pub fn to_params(&self, input: InputKind) -> Result<ProcessParams, Violations> {
        let params = ProcessParams::parse(&self.to_wire()).map_err(name_flags)?;
        params.validate(input, None).map_err(name_flags)?;
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motionkit_validation::Rule;

    #[test]
    fn flags_become_parameters() {
        let args = ProcessArgs {
            formats: Some("bvh,FBX".into()),
            sim: true,
            trim: Some("1,2".into()),
            render_cam_mode: Some("2".into()),
            ..ProcessArgs::default()
        };
        let params = args.to_params(InputKind::Video).unwrap();
        assert_eq!(
            params.to_params(),
            ["formats=bvh,fbx", "sim=1", "trim=1,2", "render.CamMode=2"]
        );
    }

    #[test]
    fn errors_name_the_flag_rule_and_value() {
        let args = ProcessArgs {
            speed_multiplier: Some("9".into()),
            ..ProcessArgs::default()
        };
        let err = args.to_params(InputKind::Video).unwrap_err();
        let v = &err.0[0];
        assert_eq!(v.rule, Rule::Range);
        assert_eq!(v.field, "--speed-multiplier (videoSpeedMultiplier)");
        assert!(err.to_string().contains("\"9\""), "{err}");

        let args = ProcessArgs {
            formats: Some("bvh,gif".into()),
            ..ProcessArgs::default()
        };
        let err = args.to_params(InputKind::Video).unwrap_err();
        assert!(err.to_string().contains("--formats"), "{err}");
    }
}
