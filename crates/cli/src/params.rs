//! Processing flags → [`ProcessParams`], with errors that name the flag.

use motionkit_validation::{InputKind, ProcessParams, canonical_key, keys};
use motionkit_validation::{Severity, Violation, Violations};

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
                    // The wire key only when it says more than the flag:
                    // `--render-sbs (render.sbs)`, but `--formats` alone.
                    let plain = |s: &str| -> String {
                        s.chars()
                            .filter(char::is_ascii_alphanumeric)
                            .map(|c| c.to_ascii_lowercase())
                            .collect()
                    };
                    v.field = if plain(flag) == plain(&v.field) {
                        flag.to_owned()
                    } else {
                        format!("{flag} ({})", v.field)
                    };
                }
                v
            })
            .collect(),
    )
}

/// Rewrites wire keys in `text` as the flags that set them:
/// `takes effect only with render.sbs=0` becomes `takes effect only with
/// --render-sbs 0`. Short keys (`sim`, `model`) are rewritten only where
/// they are clearly keys (followed by `=`, `:` or a backquote).
pub fn flagify(text: &str) -> String {
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_';
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        if !is_key_char(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_key_char(chars[i]) {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        let token_trimmed = token.trim_end_matches('.');
        let next = chars.get(start + token_trimmed.chars().count()).copied();
        let prev = start.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let distinctive =
            token_trimmed.contains('.') || token_trimmed.chars().any(|c| c.is_ascii_uppercase());
        let keyish = distinctive || matches!(next, Some('=' | ':' | '`')) || prev == Some('`');
        let flag = FLAGS
            .iter()
            .find(|(_, key)| *key == token_trimmed)
            .map(|(flag, _)| *flag)
            .filter(|_| keyish);
        match flag {
            Some(flag) => {
                out.push_str(flag);
                out.push_str(&token[token_trimmed.len()..]);
                if next == Some('=') && token.len() == token_trimmed.len() {
                    out.push(' ');
                    i += 1;
                }
            }
            None => out.push_str(&token),
        }
    }
    out
}

/// The warnings of `params` (never blocking), naming flags.
pub fn advisories(params: &ProcessParams) -> Vec<String> {
    name_flags(Violations(params.warnings()))
        .into_iter()
        .map(|mut v| {
            v.limit = flagify(&v.limit);
            v.to_string()
        })
        .collect()
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

    /// The parameters, parsed and checked for `input` (duration unknown):
    /// errors, and documented failures unless `--force`, refuse them.
    /// Every problem is reported at once, under the flag's name, with a
    /// hint to `--force` for documented failures.
    pub fn to_params(&self, input: InputKind) -> Result<ProcessParams, Violations> {
        let params = ProcessParams::parse(&self.to_wire()).map_err(name_flags)?;
        params
            .validate(input, None)
            .into_result(self.force)
            .map_err(|refused| name_flags(with_force_hint(refused)))?;
        Ok(params)
    }
}

impl ProcessArgs {
    /// The parameters of a rerun, whose input kind is not known until the
    /// job is read: refused only for what fails for a video and a picture
    /// alike (the rest is checked when the rerun is sent).
    pub fn to_rerun_params(&self) -> Result<ProcessParams, Violations> {
        let params = ProcessParams::parse(&self.to_wire()).map_err(name_flags)?;
        params
            .validate_any_input(None)
            .into_result(self.force)
            .map_err(|refused| name_flags(with_force_hint(refused)))?;
        Ok(params)
    }
}

/// Documented failures refused without `--force` say how to send them
/// anyway.
pub fn with_force_hint(refused: Violations) -> Violations {
    Violations(
        refused
            .into_iter()
            .map(|mut v| {
                if v.severity == Severity::DocumentedFailure {
                    v.limit = format!("{} (add --force to send it anyway)", v.limit);
                }
                v
            })
            .collect(),
    )
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
    fn wire_keys_in_text_become_flags() {
        assert_eq!(
            flagify("takes effect only with render.sbs=0"),
            "takes effect only with --render-sbs 0"
        );
        assert_eq!(
            flagify("`render.bgColor` and simulation"),
            "`--render-bg-color` and simulation"
        );
        assert_eq!(flagify("set sim=1."), "set --sim 1.");
        let args = ProcessArgs {
            render_bg_color: Some("0,177,64,0".into()),
            ..ProcessArgs::default()
        };
        let notes = advisories(&args.to_params(InputKind::Video).unwrap());
        assert!(!notes.is_empty());
        for note in notes {
            assert!(
                note.contains("--render-bg-color") && note.contains("--render-sbs 0"),
                "{note}"
            );
        }
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
            formats: Some("bvh,png".into()),
            ..ProcessArgs::default()
        };
        let err = args.to_params(InputKind::Video).unwrap_err();
        assert!(err.to_string().contains("--formats"), "{err}");
        // The wire key is not repeated when it is the flag's own name.
        assert_eq!(err.0[0].field, "--formats", "{err}");
        assert!(!err.to_string().contains("(formats)"), "{err}");

        // A format motionkit does not know is a warning, not an error.
        let args = ProcessArgs {
            formats: Some("bvh,gif".into()),
            ..ProcessArgs::default()
        };
        let params = args.to_params(InputKind::Video).unwrap();
        let notes = advisories(&params);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("--formats") && notes[0].contains("gif"),
            "{notes:?}"
        );
    }

    #[test]
    fn documented_failures_need_force_and_say_so() {
        let mut args = ProcessArgs {
            sim: true,
            model: Some("m1".into()),
            ..ProcessArgs::default()
        };
        let err = args.to_params(InputKind::Video).unwrap_err();
        assert!(err.to_string().contains("505"), "{err}");
        assert!(err.to_string().contains("--force"), "{err}");
        args.force = true;
        assert!(args.to_params(InputKind::Video).is_ok());
    }

    #[test]
    fn reruns_refuse_only_what_fails_for_any_input() {
        // png fails for a video but not for a picture: left to the send.
        let args = ProcessArgs {
            formats: Some("png".into()),
            ..ProcessArgs::default()
        };
        assert!(args.to_rerun_params().is_ok());
        let args = ProcessArgs {
            speed_multiplier: Some("9".into()),
            ..ProcessArgs::default()
        };
        assert!(args.to_rerun_params().is_err());
        // sim with a custom model fails for any input: refused until --force.
        let mut args = ProcessArgs {
            formats: Some("png".into()),
            sim: true,
            model: Some("m1".into()),
            ..ProcessArgs::default()
        };
        let err = args.to_rerun_params().unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        args.force = true;
        assert!(args.to_rerun_params().is_ok());
    }
}
