//! `motionkit animate`'s planning: every input and option is checked,
//! and every problem reported at once, before anything is sent; and the
//! `--dry-run` report of what would be sent.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::args::AnimateArgs;
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::output::{PlannedInput, ProcessPlan};
use crate::term::safe;
use motionkit_validation::{InputKind, ProcessParams};
use motionkit_validation::{Violation, Violations};

/// One video of the batch, checked.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) path: PathBuf,
    pub(super) key: String,
    pub(super) label: String,
    pub(super) out_dir: PathBuf,
    pub(super) params: ProcessParams,
    pub(super) wire: Vec<String>,
    /// Video or picture, from the file's first bytes.
    pub(super) input: InputKind,
    /// What the name and bytes told us that does not block.
    pub(super) warnings: Vec<String>,
    /// `--force`: send what the documents say fails.
    pub(super) force: bool,
}

/// Checks every video and the options before anything is sent.
pub(super) fn plan(args: &AnimateArgs) -> Result<Vec<Item>, CliError> {
    let mut found = Violations::new();
    let mut items: Vec<Item> = Vec::new();
    let mut seen = HashSet::new();
    let several = args.videos.len() > 1;
    let mut dirs_used: HashSet<PathBuf> = HashSet::new();
    for (index, path) in args.videos.iter().enumerate() {
        let field = format!("VIDEO[{index}]");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let mut warnings = Vec::new();
        match motionkit_validation::check_upload_name(&field, &name) {
            Ok(warning) => warnings.extend(warning.map(|w| w.to_string())),
            Err(v) => {
                found.push(v);
                continue;
            }
        }
        let canonical = match path.canonicalize() {
            Ok(p) if p.is_file() => p,
            _ => {
                found.push(Violation::new(
                    field,
                    motionkit_validation::Rule::Required,
                    path.display().to_string(),
                    "an existing, readable file",
                ));
                continue;
            }
        };
        let key = canonical.to_string_lossy().into_owned();
        if !seen.insert(key.clone()) {
            continue;
        }
        let input = match identify(&field, &canonical) {
            Ok((input, warning)) => {
                warnings.extend(warning);
                input
            }
            Err(v) => {
                found.push(v);
                continue;
            }
        };
        let params = match args.process.to_params(input) {
            Ok(params) => params,
            Err(violations) => {
                found.extend(violations);
                continue;
            }
        };
        let out_dir = if several {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("video")
                .to_owned();
            let stem =
                motionkit_transport::sanitize_file_name(&stem).unwrap_or_else(|_| "video".into());
            let mut dir = args.out.join(&stem);
            let mut n = 2;
            while dirs_used.contains(&dir) {
                dir = args.out.join(format!("{stem}-{n}"));
                n += 1;
            }
            dir
        } else {
            args.out.clone()
        };
        dirs_used.insert(out_dir.clone());
        items.push(Item {
            label: path.display().to_string(),
            path: path.clone(),
            key,
            out_dir,
            wire: params.to_params(),
            params,
            input,
            warnings,
            force: args.process.force,
        });
    }
    // The same flag problem is reported once, not once per video.
    let mut unique = Violations::new();
    for v in found {
        if !unique.iter().any(|u| u == &v) {
            unique.push(v);
        }
    }
    unique.into_result(items).map_err(|violations| {
        let missing = violations.iter().any(|v| {
            v.field.starts_with("VIDEO[") && v.rule == motionkit_validation::Rule::Required
        });
        let error = CliError::from(violations);
        if missing {
            let here = std::env::current_dir().map_or_else(
                |_| "the current folder".to_owned(),
                |d| d.display().to_string(),
            );
            error.hint(format!(
                "check each VIDEO path: it must name a readable file (a relative path is taken \
                 from {here})"
            ))
        } else {
            error.hint(
                "fix the values named above; `motionkit animate --help` gives every \
                        flag's allowed values",
            )
        }
    })
}

/// What a local file is, from its first bytes: a video or a picture.
/// Clearly not media (empty, text, HTML) is refused; a binary format
/// motionkit does not recognise is sent as a video, with a warning.
fn identify(field: &str, path: &Path) -> Result<(InputKind, Option<String>), Violation> {
    use std::io::Read as _;
    let unreadable = |e: std::io::Error| {
        Violation::new(
            field,
            motionkit_validation::Rule::Required,
            path.display().to_string(),
            format!("a readable file ({e})"),
        )
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    let mut head = Vec::with_capacity(motionkit_validation::HEAD_BYTES);
    file.take(motionkit_validation::HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(unreadable)?;
    let (kind, warning) = motionkit_validation::upload_kind(field, size, &head)?;
    let warning = warning.map(|w| format!("{field} ({}): {w}", path.display()));
    Ok((kind.into(), warning))
}

/// `motionkit animate --dry-run`: what would be uploaded and submitted.
pub(super) fn dry_run(ctx: &Ctx, items: &[Item], warnings: Vec<String>) -> Result<(), CliError> {
    let plan = ProcessPlan {
        simulated: ctx.simulated(),
        dry_run: true,
        rerun_of: None,
        videos: items
            .iter()
            .map(|item| PlannedInput {
                input: item.label.clone(),
                bytes: std::fs::metadata(&item.path).map_or(0, |m| m.len()),
                out_dir: item.out_dir.clone(),
                params: item.wire.clone(),
            })
            .collect(),
        warnings,
    };
    if ctx.json() {
        return ctx.print_json(&plan);
    }
    for video in &plan.videos {
        ctx.out(format!(
            "would upload {} ({} bytes), then POST /process with: {} (outputs into {})",
            safe(&video.input),
            video.bytes,
            if video.params.is_empty() {
                "(no parameters: the service's defaults)".to_owned()
            } else {
                video.params.join(" ")
            },
            video.out_dir.display()
        ));
    }
    for warning in &plan.warnings {
        ctx.out(format!("warning: {warning}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::ProcessArgs;
    use crate::exit::Exit;

    /// The first bytes of an MP4 file.
    const MP4_HEAD: &[u8] = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41";

    #[test]
    fn files_are_identified_by_their_bytes_not_their_names() {
        let dir = tempfile::tempdir().unwrap();
        // A picture named .mp4 is a picture; a video with an extension
        // motionkit does not know is a video, with a warning.
        let png = dir.path().join("pose.mp4");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10").unwrap();
        let mts = dir.path().join("clip.mts");
        std::fs::write(&mts, MP4_HEAD).unwrap();
        let items = plan(&args(
            &[png.to_str().unwrap(), mts.to_str().unwrap()],
            dir.path(),
        ))
        .unwrap();
        assert_eq!(items[0].input, InputKind::Image);
        assert_eq!(items[1].input, InputKind::Video);
        assert!(items[0].warnings.is_empty(), "{:?}", items[0].warnings);
        assert!(
            items[1].warnings[0].contains("clip.mts"),
            "{:?}",
            items[1].warnings
        );
        // Bytes in a format motionkit does not know are sent as a video,
        // with one warning that names the input and the file once (the
        // caller adds the "warning: " prefix when it prints it).
        let raw = dir.path().join("raw.mp4");
        std::fs::write(&raw, [0x00, 0x01, 0x02, 0xFE, 0xFF, 0x10, 0x80]).unwrap();
        let items = plan(&args(&[raw.to_str().unwrap()], dir.path())).unwrap();
        assert_eq!(items[0].input, InputKind::Video);
        assert_eq!(
            items[0].warnings,
            [format!(
                "VIDEO[0] ({}): {}",
                raw.canonicalize().unwrap().display(),
                motionkit_validation::UNKNOWN_FORMAT_WARNING
            )]
        );
        // A web page saved as .mp4 is refused before anything is sent.
        let html = dir.path().join("page.mp4");
        std::fs::write(&html, b"<!doctype html><html></html>").unwrap();
        let err = plan(&args(&[html.to_str().unwrap()], dir.path())).unwrap_err();
        assert!(err.message.contains("HTML"), "{err}");
    }

    fn args(videos: &[&str], out: &Path) -> AnimateArgs {
        AnimateArgs {
            videos: videos.iter().map(PathBuf::from).collect(),
            process: ProcessArgs::default(),
            out: out.to_owned(),
            concurrency: 2,
            webhook: None,
            retry_failed: false,
            resubmit_unconfirmed: false,
            dry_run: false,
            clobber: false,
            unzip: false,
        }
    }

    #[test]
    fn plan_reports_every_bad_input_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.mp4");
        std::fs::write(&good, MP4_HEAD).unwrap();
        let mut a = args(
            &[good.to_str().unwrap(), "missing.mp4", "notes.txt"],
            dir.path(),
        );
        a.process.speed_multiplier = Some("0".into());
        let err = plan(&a).unwrap_err();
        assert_eq!(err.exit, Exit::Permanent);
        assert!(err.message.contains("missing.mp4"), "{err}");
        assert!(err.message.contains("notes.txt"), "{err}");
        assert!(err.message.contains("--speed-multiplier"), "{err}");
    }

    #[test]
    fn several_videos_get_their_own_folders() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["x", "y"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
            std::fs::write(dir.path().join(sub).join("walk.mp4"), MP4_HEAD).unwrap();
        }
        let x = dir.path().join("x/walk.mp4");
        let y = dir.path().join("y/walk.mp4");
        let out = dir.path().join("out");
        let items = plan(&args(&[x.to_str().unwrap(), y.to_str().unwrap()], &out)).unwrap();
        assert_eq!(items[0].out_dir, out.join("walk"));
        assert_eq!(items[1].out_dir, out.join("walk-2"));
        assert!(items[1].out_dir.starts_with(&out));
        let single = plan(&args(&[x.to_str().unwrap()], &out)).unwrap();
        assert_eq!(single[0].out_dir, out);
    }
}
