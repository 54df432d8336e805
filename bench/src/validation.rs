//! Benchmark 6 (informational): parameter sets validated per second, for
//! the MotionDynamic demo theme with the documented values and for a
//! DeepMotion `ProcessParams` with every field set.

use std::hint::black_box;
use std::time::{Duration, Instant};

use motionkit_models::motiondynamic::{GenerationRequest, Theme};
use motionkit_motiondynamic::GenerationValues;
use motionkit_validation::{CamMode, FootLockingMode, InputKind, OutputFormat, ProcessParams};

use super::{Row, Section};

/// How long each measurement runs.
pub const DURATION: Duration = Duration::from_secs(1);

/// Calls `f` repeatedly for about [`DURATION`]; returns calls per second.
fn rate(mut f: impl FnMut() -> bool) -> Result<f64, String> {
    let started = Instant::now();
    let mut calls = 0u64;
    loop {
        for _ in 0..256 {
            if !black_box(f()) {
                return Err("a parameter set that should be valid was refused".into());
            }
        }
        calls += 256;
        let elapsed = started.elapsed();
        if elapsed >= DURATION {
            return Ok(calls as f64 / elapsed.as_secs_f64());
        }
    }
}

fn example<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, String> {
    let path = crate::workspace_root()
        .join("specs/examples/motiondynamic")
        .join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    motionkit_models::decode(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A `ProcessParams` with every field set to a valid value.
pub fn full_process_params() -> ProcessParams {
    ProcessParams::new()
        .config("configDefault")
        .formats([
            OutputFormat::Bvh,
            OutputFormat::Fbx,
            OutputFormat::Mp4,
            OutputFormat::Glb,
            OutputFormat::Dmpe,
        ])
        .model("a1b2c3d4")
        .sim(false)
        .track_face(true)
        .track_hand(true)
        .foot_locking_mode(FootLockingMode::Grounding)
        .video_speed_multiplier(2.0)
        .pose_filtering_strength(0.5)
        .root_at_origin(true)
        .trim(1.0, 9.5)
        .crop(0.1, 0.1, 0.9, 0.9)
        .render_sbs(false)
        .render_bg_color([0, 177, 64, 0])
        .render_backdrop("studio")
        .render_shadow(true)
        .render_include_audio(true)
        .render_cam_mode(CamMode::Face)
}

/// Benchmark 6.
pub fn run() -> Result<Section, String> {
    let theme: Theme = example("demo_theme.json")?;
    let request: GenerationRequest = example("generation_request.json")?;
    let values = request
        .values
        .iter()
        .fold(GenerationValues::new(&theme), |values, v| {
            values.set(v.parameter_id.clone(), v.value.clone())
        });
    values
        .to_values()
        .map_err(|v| format!("documented values refused: {v}"))?;
    let theme_rate = rate(|| values.validate().errors.is_empty())?;

    let params = full_process_params();
    params
        .validate(InputKind::Video, Some(30.0))
        .errors_only()
        .map_err(|v| format!("full ProcessParams refused: {v}"))?;
    let process_rate = rate(|| !params.validate(InputKind::Video, Some(30.0)).blocks(false))?;
    let rendered = params.to_params();
    let parse_rate = rate(|| {
        ProcessParams::parse(&rendered)
            .is_ok_and(|p| !p.validate(InputKind::Video, Some(30.0)).blocks(false))
    })?;

    let mut section = Section::new("6. Validation");
    section.rows.push(Row::new(
        "Demo theme, documented values: `GenerationValues::validate`",
        format!("{} sets/s", thousands(theme_rate)),
    ));
    section.rows.push(Row::new(
        "Full `ProcessParams`: `validate`",
        format!("{} sets/s", thousands(process_rate)),
    ));
    section.rows.push(Row::new(
        "Full `ProcessParams`: `parse` of the rendered params + `validate`",
        format!("{} sets/s", thousands(parse_rate)),
    ));
    section.notes = vec![format!(
        "Method: one thread, each call repeated for {} s. The theme is \
         `specs/examples/motiondynamic/demo_theme.json`, the values the {} of \
         `generation_request.json` (set by parameter id; the picture URL is checked offline, \
         as `validate` does). The `ProcessParams` sets all {} fields \
         (`{}`), validated for a 30 s video.",
        DURATION.as_secs(),
        request.values.len(),
        18,
        rendered.join(" ")
    )];
    Ok(section)
}

/// `12345.6` as `12,346`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
