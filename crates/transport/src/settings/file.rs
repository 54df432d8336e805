//! The config file itself: where it is looked for, reading it with a size
//! bound, parsing it (errors name the line, never the text) and the shape
//! of each service's table.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::SettingsError;

/// Largest config file read: 1 MiB.
pub const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

/// The shape of a `[deepmotion]` table, deserialised only to check its
/// keys and types (values are read from the table itself, with sources).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(super) struct FileDeepMotion {
    api_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The shape of a `[motiondynamic]` table (checked like [`FileDeepMotion`]).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(super) struct FileMotionDynamic {
    api_url: Option<String>,
    token: Option<String>,
}

/// Where the config file is looked for when neither the input nor
/// `MOTIONKIT_CONFIG` names one: `CONFIG_DIR/motionkit/config.toml`
/// (Linux: `~/.config/motionkit/config.toml`).
pub fn default_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("motionkit").join("config.toml"))
}

/// Reads at most [`MAX_CONFIG_FILE_BYTES`] of a regular file; `Ok(None)`
/// when an implicit file does not exist.
pub(super) fn read_limited(path: &Path, explicit: bool) -> Result<Option<String>, SettingsError> {
    let context =
        |what: String| SettingsError::file(format!("config file {}: {what}", path.display()));
    // Checked before opening: opening a FIFO would block.
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(context("not a regular file".into()));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(None),
        Err(e) => return Err(context(e.to_string())),
    }
    let file = std::fs::File::open(path).map_err(|e| context(e.to_string()))?;
    let meta = file.metadata().map_err(|e| context(e.to_string()))?;
    if !meta.is_file() {
        return Err(context("not a regular file".into()));
    }
    let too_big = || context(format!("larger than {} KiB", MAX_CONFIG_FILE_BYTES / 1024));
    if meta.len() > MAX_CONFIG_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| context(e.to_string()))?;
    if bytes.len() as u64 > MAX_CONFIG_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| context("not UTF-8 text".into()))
}

/// Parses the file; an error names the line and the parser's message,
/// never the text (which may hold a secret).
pub(super) fn parse(path: &Path, text: &str) -> Result<toml::Table, SettingsError> {
    text.parse::<toml::Table>().map_err(|e| {
        let line = e
            .span()
            .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
        let at = line.map(|l| format!(" line {l}:")).unwrap_or_default();
        SettingsError::file(format!(
            "config file {}:{at} {}",
            path.display(),
            one_line(e.message())
        ))
    })
}

/// `text` on one line: its lines trimmed and joined by spaces.
pub(super) fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
