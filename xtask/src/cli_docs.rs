//! `cargo xtask man [DIR]`: man pages of `motionkit` (clap_mangen), one
//! page per command (`motionkit.1`, `motionkit-animate.1`,
//! `motionkit-models-list.1`, ...), into `target/man` by default.
//!
//! `cargo xtask cli-schemas`: the JSON Schemas of every `--json` output
//! into `docs/cli-schemas/` (the CLI's tests fail when they are stale).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Writes one page for `command` and for each of its subcommands.
pub fn write_man_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut command = motionkit_cli::command();
    command.build();
    let mut written = Vec::new();
    write_page(&command, "motionkit", dir, &mut written)?;
    Ok(written)
}

fn write_page(
    command: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    if command.is_hide_set() {
        return Ok(());
    }
    let mut buffer = Vec::new();
    clap_mangen::Man::new(command.clone())
        .title(name)
        .render(&mut buffer)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, buffer)?;
    written.push(path);
    for sub in command.get_subcommands() {
        if sub.get_name() != "help" {
            write_page(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
        }
    }
    Ok(())
}

/// Writes `docs/cli-schemas/NAME.json` for every output shape.
pub fn write_schemas(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let dir = root.join("docs").join("cli-schemas");
    std::fs::create_dir_all(&dir)?;
    let mut written = Vec::new();
    for (name, schema) in motionkit_cli::json_schemas() {
        let path = dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&schema).map_err(std::io::Error::other)? + "\n";
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// `cargo xtask man [DIR]`.
pub fn man_main(root: &Path, args: &[&str]) -> ExitCode {
    let dir = match args {
        [] => root.join("target").join("man"),
        [dir] => PathBuf::from(dir),
        _ => {
            eprintln!("usage: cargo xtask man [DIR]");
            return ExitCode::from(2);
        }
    };
    match write_man_pages(&dir) {
        Ok(pages) => {
            eprintln!("man: wrote {} pages into {}", pages.len(), dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("man: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask cli-schemas`.
pub fn schemas_main(root: &Path) -> ExitCode {
    match write_schemas(root) {
        Ok(changed) => {
            for path in &changed {
                eprintln!("cli-schemas: wrote {}", path.display());
            }
            if changed.is_empty() {
                eprintln!("cli-schemas: everything is up to date");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cli-schemas: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_gets_a_man_page() {
        let dir = tempfile::tempdir().unwrap();
        let pages = write_man_pages(dir.path()).unwrap();
        let names: Vec<String> = pages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for name in [
            "motionkit.1",
            "motionkit-animate.1",
            "motionkit-models-delete.1",
            "motionkit-config-show.1",
        ] {
            assert!(names.iter().any(|n| n == name), "{name}: {names:?}");
        }
        let page = std::fs::read_to_string(dir.path().join("motionkit-animate.1")).unwrap();
        assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
        assert!(page.contains("dry\\-run"), "{page}");
    }
}
