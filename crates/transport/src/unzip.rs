//! Extracting a downloaded ZIP archive (cargo feature `unzip`), under the
//! rules of every server-named file: each entry's name is sanitised
//! ([`sanitize_file_name`], component by component), nothing existing is
//! replaced (the folder gets a `-2`, `-3`, ... suffix unless
//! [`OnExisting::Replace`]), and sizes are bounded.
//!
//! Refused before anything is written: an entry whose path is absolute or
//! has a `..` component, a symbolic link, more than [`MAX_ZIP_ENTRIES`]
//! entries, or declared sizes beyond the budget. The budget is
//! `Limits::download_bytes`, and at most [`MAX_UNZIP_RATIO`] times the
//! archive's size (but never less than [`UNZIP_FLOOR_BYTES`]): a zip bomb.
//! Entries that inflate beyond what they declared are refused while being
//! written. The archive is extracted into a hidden folder first and moved
//! to its final name only when complete, so a refusal leaves nothing.

use std::fs::File;
use std::io::{ErrorKind, Read as _};
use std::path::{Path, PathBuf};

use crate::save::{OnExisting, sanitize_file_name, sync_dir, with_suffix};

/// Most entries an archive may have.
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// Most bytes extracted per byte of archive.
pub const MAX_UNZIP_RATIO: u64 = 100;
/// The ratio never limits extraction below this many bytes.
pub const UNZIP_FLOOR_BYTES: u64 = 64 * 1024 * 1024;

/// Why an archive was not extracted.
#[derive(Debug)]
pub(crate) enum UnzipError {
    /// The archive breaks a rule; the message says which entry and why.
    Refused(String),
    /// A local file operation failed.
    Io(std::io::Error),
}

impl From<std::io::Error> for UnzipError {
    fn from(e: std::io::Error) -> Self {
        UnzipError::Io(e)
    }
}

/// An extracted archive.
#[derive(Debug)]
pub(crate) struct Extracted {
    /// The folder.
    pub(crate) folder: PathBuf,
    /// The folder that was wanted, when a clash changed the name.
    pub(crate) renamed_from: Option<PathBuf>,
    /// Every file extracted, in archive order.
    pub(crate) files: Vec<PathBuf>,
}

/// `all_characters.fbx` → `all_characters-fbx`: the folder an archive
/// saved as `name` is extracted into.
pub(crate) fn folder_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}-{ext}"),
        _ => format!("{name}-files"),
    }
}

/// The safe relative path of an entry, or why it is refused.
fn entry_path(raw: &str) -> Result<PathBuf, UnzipError> {
    let refuse = |why: &str| {
        UnzipError::Refused(format!(
            "the archive's entry {raw:?} {why}; nothing was extracted"
        ))
    };
    if raw.contains('\0') {
        return Err(refuse("has a NUL character"));
    }
    if raw.starts_with(['/', '\\']) || raw.as_bytes().get(1) == Some(&b':') {
        return Err(refuse("is an absolute path"));
    }
    let mut path = PathBuf::new();
    for part in raw.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(refuse("leaves the folder (`..`)")),
            _ => {
                let safe = sanitize_file_name(part)
                    .map_err(|_| refuse("has a component with no usable character"))?;
                path.push(safe);
            }
        }
    }
    if path.as_os_str().is_empty() {
        return Err(refuse("has no name"));
    }
    Ok(path)
}

/// Extracts the archive at `archive` into `dir/folder` (see the module
/// docs); `byte_limit` is `Limits::download_bytes`.
pub(crate) fn extract(
    archive: &Path,
    dir: &Path,
    folder: &str,
    on_existing: OnExisting,
    byte_limit: u64,
) -> Result<Extracted, UnzipError> {
    let file = File::open(archive)?;
    let archive_bytes = file.metadata()?.len();
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| UnzipError::Refused(format!("not a readable ZIP archive: {e}")))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(UnzipError::Refused(format!(
            "the archive has {} entries, more than {MAX_ZIP_ENTRIES}; nothing was extracted",
            zip.len()
        )));
    }
    let budget = byte_limit.min(
        archive_bytes
            .saturating_mul(MAX_UNZIP_RATIO)
            .max(UNZIP_FLOOR_BYTES),
    );
    let bomb = |total: u64| {
        UnzipError::Refused(format!(
            "the archive of {archive_bytes} bytes inflates to more than {total} bytes, beyond \
             the limit of {budget} (at most {MAX_UNZIP_RATIO} times the archive, and \
             Limits::download_bytes): a zip bomb; nothing was extracted"
        ))
    };
    // Every entry is checked before anything is written.
    let mut entries = Vec::with_capacity(zip.len());
    let mut declared = 0u64;
    for index in 0..zip.len() {
        let entry = zip
            .by_index_raw(index)
            .map_err(|e| UnzipError::Refused(format!("entry {index} is unreadable: {e}")))?;
        let raw = entry
            .name()
            .map_err(|e| UnzipError::Refused(format!("entry {index} has no readable name: {e}")))?
            .into_owned();
        let path = entry_path(&raw)?;
        if entry.is_symlink() {
            return Err(UnzipError::Refused(format!(
                "the archive's entry {raw:?} is a symbolic link; nothing was extracted"
            )));
        }
        declared = declared.saturating_add(entry.size());
        if declared > budget {
            return Err(bomb(declared));
        }
        entries.push((path, entry.is_dir(), entry.size()));
    }
    let staging = tempfile::Builder::new()
        .prefix(".motionkit-")
        .suffix(".unzip")
        .tempdir_in(dir)?;
    let mut written = Vec::with_capacity(entries.len());
    let mut total = 0u64;
    for (index, (path, is_dir, size)) in entries.into_iter().enumerate() {
        let target = staging.path().join(&path);
        if is_dir {
            std::fs::create_dir_all(&target)?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let (mut out, target) = create_new(&target)?;
        let entry = zip
            .by_index(index)
            .map_err(|e| UnzipError::Refused(format!("entry {index} is unreadable: {e}")))?;
        let allowed = size.min(budget - total);
        let copied = std::io::copy(&mut entry.take(allowed + 1), &mut out).map_err(|e| {
            if e.kind() == ErrorKind::InvalidData {
                UnzipError::Refused(format!("entry {:?} is corrupt: {e}", path.display()))
            } else {
                UnzipError::Io(e)
            }
        })?;
        if copied > allowed {
            return Err(if copied > size {
                UnzipError::Refused(format!(
                    "the archive's entry {:?} inflates beyond the {size} bytes it declares; \
                     nothing was extracted",
                    path.display()
                ))
            } else {
                bomb(total + copied)
            });
        }
        total += copied;
        out.sync_all()?;
        written.push(
            target
                .strip_prefix(staging.path())
                .unwrap_or(&target)
                .to_owned(),
        );
    }
    let staged = staging.keep();
    let moved = move_into_place(&staged, dir, folder, on_existing);
    let (final_folder, renamed_from) = match moved {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(e.into());
        }
    };
    sync_dir(dir)?;
    let files = written.iter().map(|p| final_folder.join(p)).collect();
    Ok(Extracted {
        folder: final_folder,
        renamed_from,
        files,
    })
}

/// Creates `path` (never opening what exists); a taken name gets a `-2`,
/// `-3`, ... suffix, as two entries may sanitise to the same name.
fn create_new(path: &Path) -> std::io::Result<(File, PathBuf)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = path.parent().unwrap_or(Path::new("."));
    for n in 1..=1000u32 {
        let candidate = if n == 1 {
            path.to_owned()
        } else {
            parent.join(with_suffix(&name, n))
        };
        match File::options()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => return Ok((file, candidate)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        ErrorKind::AlreadyExists,
        format!("{} and 1000 suffixed names exist", path.display()),
    ))
}

/// Renames the staged folder to `dir/folder` without replacing anything
/// (unless `on_existing` is [`OnExisting::Replace`], which removes a folder
/// of that name first, never following a link).
fn move_into_place(
    staged: &Path,
    dir: &Path,
    folder: &str,
    on_existing: OnExisting,
) -> std::io::Result<(PathBuf, Option<PathBuf>)> {
    let wanted = dir.join(folder);
    if on_existing == OnExisting::Replace
        && let Ok(meta) = std::fs::symlink_metadata(&wanted)
    {
        if meta.is_dir() {
            std::fs::remove_dir_all(&wanted)?;
        } else {
            std::fs::remove_file(&wanted)?;
        }
    }
    for n in 1..=10_000u32 {
        let target = if n == 1 {
            wanted.clone()
        } else {
            dir.join(with_suffix(folder, n))
        };
        match rename_no_replace(staged, &target) {
            Ok(()) => return Ok((target, (n > 1).then(|| wanted.clone()))),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if on_existing == OnExisting::Fail {
                    return Err(std::io::Error::new(
                        ErrorKind::AlreadyExists,
                        format!("{} exists and is not replaced", wanted.display()),
                    ));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        ErrorKind::AlreadyExists,
        format!("{} and 10000 suffixed names exist", wanted.display()),
    ))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE).map_err(|e| {
        // EEXIST, or ENOTEMPTY where the file system reports that instead.
        if e == rustix::io::Errno::EXIST || e == rustix::io::Errno::NOTEMPTY {
            std::io::Error::from(ErrorKind::AlreadyExists)
        } else {
            e.into()
        }
    })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(std::io::Error::from(ErrorKind::AlreadyExists));
    }
    std::fs::rename(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths() {
        assert_eq!(entry_path("a/b.fbx").unwrap(), PathBuf::from("a/b.fbx"));
        assert_eq!(entry_path("./b.fbx").unwrap(), PathBuf::from("b.fbx"));
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "\\x",
            "C:x",
            "a/..\\x",
            "",
            "a\0b",
        ] {
            assert!(
                matches!(entry_path(bad), Err(UnzipError::Refused(_))),
                "{bad:?}"
            );
        }
        assert_eq!(folder_name("all_characters.fbx"), "all_characters-fbx");
        assert_eq!(folder_name("archive"), "archive-files");
    }
}
