//! Where a download is saved: safe names, part files, and saving without
//! replacing anything.
//!
//! - Names given by a server go through [`sanitize_file_name`], so nothing
//!   is written outside the target directory.
//! - Bytes go to a part file, `.motionkit-<key>.part`, whose name depends
//!   only on the URL (without its query) and the requested name. A part file
//!   left by a killed process is found and started over by the next run; one
//!   in use by another process (an advisory lock says so) is left alone.
//! - Nothing is written through a link. The predictable part name is opened
//!   without following a symbolic link (`O_NOFOLLOW`), and reused only when
//!   the opened file is a regular file of this user with one link; anything
//!   else planted under that name (a symlink, a hard link to a file
//!   elsewhere, a FIFO) is left alone and a fresh, randomly named part file
//!   is created instead (`O_EXCL`). Before the final rename, the part path
//!   must still be the file that was written, so a part swapped for a link
//!   during the download is never moved into place.
//! - The complete file is moved to its final name without replacing what is
//!   there ([`OnExisting::KeepBoth`], the default): a clash gets a `-2`,
//!   `-3`, ... suffix and the report says so. Nothing motionkit did not
//!   create is replaced unless the caller asks for [`OnExisting::Replace`].

use std::hash::{Hash, Hasher};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use motionkit_validation::{Rule, Violation, Violations};
use tempfile::TempPath;
use url::Url;

use crate::error::Error;

/// Longest file name produced by [`sanitize_file_name`], in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 200;

/// Names Windows reserves for devices, with or without an extension.
const WINDOWS_RESERVED: [&str; 28] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "COM¹", "COM²",
    "COM³", "LPT¹", "LPT²", "LPT³",
];

/// Turns a name chosen by a server into a safe file name.
///
/// Keeps the last path component only; drops control, NUL and bidi
/// formatting characters; replaces characters Windows forbids
/// (`<>:"|?*`) with `_`; collapses runs of dots (so no `..` remains);
/// trims dots and spaces from both ends; prefixes Windows device names
/// (`CON`, `NUL`, `COM1`, ...) with `_`; and bounds the result to
/// [`MAX_FILE_NAME_BYTES`], keeping a short extension. The result is never
/// empty, `.` or `..`, and contains no separator: joined to a directory it
/// stays inside it. A name with nothing usable left is an
/// [`Error::Validation`].
pub fn sanitize_file_name(name: &str) -> Result<String, Error> {
    let last = name
        .split(['/', '\\'])
        .rev()
        .find(|part| {
            !part
                .trim_matches(|c: char| c == '.' || c.is_whitespace())
                .is_empty()
        })
        .unwrap_or("");
    let mut cleaned = String::with_capacity(last.len());
    for ch in last.chars() {
        if ch.is_control() || is_invisible_format(ch) {
            continue;
        }
        let ch = if matches!(ch, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
            '_'
        } else {
            ch
        };
        if ch == '.' && cleaned.ends_with('.') {
            continue;
        }
        cleaned.push(ch);
    }
    let mut cleaned = trim_name(&cleaned).to_owned();
    if cleaned.is_empty() {
        return Err(invalid_name(name));
    }
    if is_device_name(&cleaned) {
        cleaned.insert(0, '_');
    }
    if cleaned.len() > MAX_FILE_NAME_BYTES {
        cleaned = shorten(&cleaned);
        // Cutting and trimming can leave a device name (`LPT2` + spaces + more);
        // such a result is short, so the prefix keeps it within the bound.
        if is_device_name(&cleaned) {
            cleaned.insert(0, '_');
        }
    }
    Ok(cleaned)
}

/// True when `name`, before its first dot, is a Windows device name.
fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").trim_end();
    WINDOWS_RESERVED
        .iter()
        .any(|reserved| stem.eq_ignore_ascii_case(reserved) || stem == *reserved)
}

fn trim_name(name: &str) -> &str {
    name.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Zero-width and bidirectional formatting characters that make a name
/// display differently from what it is.
fn is_invisible_format(ch: char) -> bool {
    matches!(ch, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Cuts `name` to [`MAX_FILE_NAME_BYTES`] on a character boundary,
/// keeping an extension of up to 16 bytes.
fn shorten(name: &str) -> String {
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= 16 && ext.len() < name.len());
    let extension = extension.unwrap_or("");
    let budget = MAX_FILE_NAME_BYTES - extension.len();
    let mut stem_end = budget.min(name.len() - extension.len());
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    let stem = trim_name(&name[..stem_end]);
    let stem = if stem.is_empty() { "_" } else { stem };
    format!("{stem}{extension}")
}

fn invalid_name(name: &str) -> Error {
    Error::Validation(Violations::from(Violation::new(
        "file_name",
        Rule::Syntax,
        name,
        "a file name with at least one character other than dots, spaces, separators and \
         control characters",
    )))
}

/// The name a `Content-Disposition` header suggests (`filename*=` first).
pub(crate) fn content_disposition_name(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in value.split(';').skip(1) {
        let Some((key, raw)) = part.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let raw = raw.trim();
        if key == "filename*" {
            if let Some(encoded) = raw.splitn(3, '\'').nth(2) {
                extended = Some(
                    percent_encoding::percent_decode_str(encoded)
                        .decode_utf8_lossy()
                        .into_owned(),
                );
            }
        } else if key == "filename" {
            plain = Some(raw.trim_matches('"').to_owned());
        }
    }
    extended.or(plain)
}

pub(crate) fn name_from_url(url: &Url) -> Option<String> {
    let segment = url.path_segments()?.rfind(|s| !s.is_empty())?;
    Some(
        percent_encoding::percent_decode_str(segment)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// What to do when the final name of a download is taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OnExisting {
    /// Keep the existing file and save under `name-2.ext`, `name-3.ext`, ...
    /// (reported in [`DownloadReport::renamed_from`](crate::DownloadReport::renamed_from)).
    #[default]
    KeepBoth,
    /// Replace the existing file (the CLI's `--clobber`).
    Replace,
    /// Fail with an [`Error::Io`] of kind `AlreadyExists`, leaving the
    /// existing file alone.
    Fail,
}

/// Most suffixes tried before a clash is reported as an error.
const MAX_SUFFIX: u32 = 10_000;

/// A part file, locked for this process and removed when dropped.
pub(crate) struct PartFile {
    pub(crate) file: std::fs::File,
    pub(crate) path: PartPath,
}

/// The path of a part file and the identity (device, inode) of the file
/// opened there, checked again before the final rename.
pub(crate) struct PartPath {
    pub(crate) path: TempPath,
    identity: Option<(u64, u64)>,
}

impl std::ops::Deref for PartPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn identity(metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((metadata.dev(), metadata.ino()))
}

#[cfg(not(unix))]
fn identity(_metadata: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Opens `path` for reading and writing without following a final
/// symbolic link, creating it if missing.
pub(crate) fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(i32::try_from(no_follow.bits()).unwrap_or(0));
        options.mode(0o666);
    }
    options.open(path)
}

/// True when an opened part file may be written: a regular file, owned by
/// this user, with no other name (a hard link would write elsewhere).
#[cfg(unix)]
pub(crate) fn is_own_regular_file(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    metadata.file_type().is_file()
        && metadata.nlink() == 1
        && metadata.uid() == rustix::process::geteuid().as_raw()
}

#[cfg(not(unix))]
pub(crate) fn is_own_regular_file(metadata: &std::fs::Metadata) -> bool {
    metadata.file_type().is_file()
}

/// Opens the part file for a download of `url` saved as `name` into `dir`.
/// A stale one (left by a killed process) is truncated and reused; if
/// another process holds it, a fresh randomly named one is used instead.
pub(crate) fn open_part_file(
    dir: &Path,
    url: &Url,
    name: Option<&str>,
) -> std::io::Result<PartFile> {
    let mut key = std::hash::DefaultHasher::new();
    (url.scheme(), url.host_str(), url.port(), url.path(), name).hash(&mut key);
    let path = dir.join(format!(".motionkit-{:016x}.part", key.finish()));
    match open_no_follow(&path) {
        Ok(file) => {
            let metadata = file.metadata()?;
            if is_own_regular_file(&metadata) && try_lock(&file)? {
                file.set_len(0)?;
                return Ok(PartFile {
                    file,
                    path: PartPath {
                        path: TempPath::try_from_path(path)?,
                        identity: identity(&metadata),
                    },
                });
            }
            if !is_own_regular_file(&metadata) {
                tracing::warn!(
                    path = %path.display(),
                    "the part file's name is taken by something that is not a plain file of \
                     this user; left alone, using a fresh name"
                );
            }
        }
        // A symbolic link (ELOOP), or a name that cannot be opened at all:
        // never written through; a fresh name below.
        Err(e) => tracing::warn!(
            path = %path.display(),
            error = %e,
            "the part file's name cannot be opened as a plain file; left alone, using a fresh name"
        ),
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".motionkit-").suffix(".part");
    // Temporary files are private by default; a download is an ordinary
    // file, so it gets the mode the umask gives new files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let (file, path) = builder.tempfile_in(dir)?.into_parts();
    try_lock(&file)?;
    let identity = identity(&file.metadata()?);
    Ok(PartFile {
        file,
        path: PartPath { path, identity },
    })
}

/// Fails unless `part` still names the file that was opened and written
/// there, as a regular file (not a link put in its place since).
fn check_still_ours(part: &PartPath) -> std::io::Result<()> {
    let now = std::fs::symlink_metadata(&part.path)?;
    if !now.file_type().is_file() || (part.identity.is_some() && identity(&now) != part.identity) {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            format!(
                "the part file {} was replaced during the download; nothing was saved",
                part.path.display()
            ),
        ));
    }
    Ok(())
}

/// Takes an exclusive advisory lock on `file` without waiting; false when
/// another process holds it. The OS releases it when the file is closed,
/// so a killed process never leaves it held.
#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> std::io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Without advisory locks, a part file is always taken over.
#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File) -> std::io::Result<bool> {
    Ok(true)
}

/// Moves the finished part file to `dir/name` following `on_existing`.
/// Returns the final path, and the wanted path when a clash changed it.
pub(crate) fn save(
    part: PartPath,
    dir: &Path,
    name: &str,
    on_existing: OnExisting,
) -> std::io::Result<(PathBuf, Option<PathBuf>)> {
    check_still_ours(&part)?;
    let part = part.path;
    let wanted = dir.join(name);
    if on_existing == OnExisting::Replace {
        part.persist(&wanted).map_err(|e| e.error)?;
        sync_dir(dir)?;
        return Ok((wanted, None));
    }
    let mut part = part;
    for n in 1..=MAX_SUFFIX {
        let target = if n == 1 {
            wanted.clone()
        } else {
            dir.join(with_suffix(name, n))
        };
        match part.persist_noclobber(&target) {
            Ok(()) => {
                sync_dir(dir)?;
                return Ok((target.clone(), (n > 1).then_some(wanted)));
            }
            Err(e) if e.error.kind() == ErrorKind::AlreadyExists => {
                if on_existing == OnExisting::Fail {
                    return Err(std::io::Error::new(
                        ErrorKind::AlreadyExists,
                        format!("{} exists and is not replaced", wanted.display()),
                    ));
                }
                part = e.path;
            }
            Err(e) => return Err(e.error),
        }
    }
    Err(std::io::Error::new(
        ErrorKind::AlreadyExists,
        format!("{} and {MAX_SUFFIX} suffixed names exist", wanted.display()),
    ))
}

/// `walk.fbx` → `walk-2.fbx`; the result stays within
/// [`MAX_FILE_NAME_BYTES`].
pub(crate) fn with_suffix(name: &str, n: u32) -> String {
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    let suffix = format!("-{n}");
    let mut stem_end = stem
        .len()
        .min(MAX_FILE_NAME_BYTES.saturating_sub(extension.len() + suffix.len()));
    while !stem.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{suffix}{extension}", &stem[..stem_end])
}

#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names() {
        let ok = |name: &str| sanitize_file_name(name).unwrap();
        assert_eq!(ok("../../etc/passwd"), "passwd");
        assert_eq!(ok("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(ok("/abs/path/out.fbx"), "out.fbx");
        assert_eq!(ok("a..b...fbx"), "a.b.fbx");
        assert_eq!(ok("  .hidden. "), "hidden");
        assert_eq!(ok("CON"), "_CON");
        assert_eq!(ok("nul.txt"), "_nul.txt");
        assert_eq!(ok("com1.tar.gz"), "_com1.tar.gz");
        assert_eq!(ok("console.log"), "console.log");
        assert_eq!(ok("a\0b\u{7}c\u{202E}d.bvh"), "abcd.bvh");
        assert_eq!(ok("what?<is>:this*|\".fbx"), "what__is__this___.fbx");
        assert_eq!(ok("dir/"), "dir");
        for bad in ["", "..", ".", "/", "\\..\\", " . ", "\0\0", "../.."] {
            assert!(sanitize_file_name(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}.fbx", "é".repeat(300));
        let short = ok(&long);
        assert!(short.len() <= MAX_FILE_NAME_BYTES);
        assert!(short.ends_with(".fbx"));
    }

    #[test]
    fn content_disposition_forms() {
        assert_eq!(
            content_disposition_name("attachment; filename=\"a b.fbx\"").as_deref(),
            Some("a b.fbx")
        );
        assert_eq!(
            content_disposition_name(
                "attachment; filename=\"fallback.fbx\"; filename*=UTF-8''%C3%A9t%C3%A9.fbx"
            )
            .as_deref(),
            Some("été.fbx")
        );
        assert_eq!(content_disposition_name("inline"), None);
    }

    #[test]
    fn suffixes_keep_the_extension_and_the_length_bound() {
        assert_eq!(with_suffix("walk.fbx", 2), "walk-2.fbx");
        assert_eq!(with_suffix("archive.tar.gz", 3), "archive.tar-3.gz");
        assert_eq!(with_suffix("README", 2), "README-2");
        let long = format!("{}.mp4", "a".repeat(MAX_FILE_NAME_BYTES - 4));
        let suffixed = with_suffix(&long, 12);
        assert!(suffixed.len() <= MAX_FILE_NAME_BYTES, "{}", suffixed.len());
        assert!(suffixed.ends_with("-12.mp4"));
    }

    fn part(dir: &Path, content: &[u8]) -> PartPath {
        let path = dir.join(format!(".p{}", content.len()));
        std::fs::write(&path, content).unwrap();
        let identity = identity(&std::fs::metadata(&path).unwrap());
        PartPath {
            path: TempPath::try_from_path(path).unwrap(),
            identity,
        }
    }

    #[test]
    fn saving_never_replaces_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("dance.mp4"), b"the user's video").unwrap();
        let (path, wanted) = save(part(d, b"1"), d, "dance.mp4", OnExisting::KeepBoth).unwrap();
        assert_eq!(path, d.join("dance-2.mp4"));
        assert_eq!(wanted, Some(d.join("dance.mp4")));
        let (path, _) = save(part(d, b"22"), d, "dance.mp4", OnExisting::KeepBoth).unwrap();
        assert_eq!(path, d.join("dance-3.mp4"));
        assert_eq!(
            std::fs::read(d.join("dance.mp4")).unwrap(),
            b"the user's video"
        );
        let refused = save(part(d, b"333"), d, "dance.mp4", OnExisting::Fail).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::AlreadyExists);
        assert!(!d.join(".p3").exists(), "the refused part file is removed");
        let (path, wanted) = save(part(d, b"4444"), d, "dance.mp4", OnExisting::Replace).unwrap();
        assert_eq!(
            (path.as_path(), wanted),
            (d.join("dance.mp4").as_path(), None)
        );
        assert_eq!(std::fs::read(d.join("dance.mp4")).unwrap(), b"4444");
    }

    #[test]
    fn a_stale_part_file_is_reused_and_a_locked_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let url = Url::parse("https://storage.example/out/a.fbx?sig=1").unwrap();
        let other_signature = Url::parse("https://storage.example/out/a.fbx?sig=2").unwrap();
        let first = open_part_file(dir.path(), &url, None).unwrap();
        std::fs::write(&*first.path.path, b"stale bytes").unwrap();
        let first_path = first.path.path.to_path_buf();
        // Held (locked) by "another process": a fresh name.
        let second = open_part_file(dir.path(), &other_signature, None).unwrap();
        assert_ne!(second.path.path.to_path_buf(), first_path);
        drop(second);
        // Left behind by a killed process: the same name, started over.
        let kept = first.path.path.keep().unwrap();
        drop(first.file);
        let again = open_part_file(dir.path(), &other_signature, None).unwrap();
        assert_eq!(again.path.path.to_path_buf(), kept);
        assert_eq!(std::fs::metadata(&kept).unwrap().len(), 0);
        drop(again);
        assert!(!kept.exists(), "dropping a part file removes it");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_link_at_the_part_name_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("precious.txt");
        std::fs::write(&target, b"the user's data").unwrap();
        let url = Url::parse("https://storage.example/out/a.fbx?sig=1").unwrap();
        // Learn the predictable name, then plant a symlink there.
        let probe = open_part_file(dir.path(), &url, None).unwrap();
        let predictable = probe.path.path.to_path_buf();
        drop(probe);
        std::os::unix::fs::symlink(&target, &predictable).unwrap();
        let part = open_part_file(dir.path(), &url, None).unwrap();
        assert_ne!(part.path.path.to_path_buf(), predictable);
        use std::io::Write as _;
        (&part.file).write_all(b"server bytes").unwrap();
        let (saved, _) = save(part.path, dir.path(), "a.fbx", OnExisting::KeepBoth).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"the user's data");
        assert!(
            std::fs::symlink_metadata(&saved)
                .unwrap()
                .file_type()
                .is_file()
        );
        assert_eq!(std::fs::read(&saved).unwrap(), b"server bytes");
        assert!(
            std::fs::symlink_metadata(&predictable)
                .unwrap()
                .file_type()
                .is_symlink(),
            "the planted link is left alone"
        );
        // A hard link to a file elsewhere (same file system) is refused too.
        std::fs::remove_file(&predictable).unwrap();
        let inside = dir.path().join("user-file.txt");
        std::fs::write(&inside, b"keep me").unwrap();
        std::fs::hard_link(&inside, &predictable).unwrap();
        let part = open_part_file(dir.path(), &url, None).unwrap();
        assert_ne!(part.path.path.to_path_buf(), predictable);
        assert_eq!(std::fs::read(&inside).unwrap(), b"keep me");
    }

    #[cfg(unix)]
    #[test]
    fn a_part_file_swapped_for_a_link_is_not_moved_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("precious.txt");
        std::fs::write(&target, b"the user's data").unwrap();
        let url = Url::parse("https://storage.example/out/b.fbx").unwrap();
        let part = open_part_file(dir.path(), &url, None).unwrap();
        let path = part.path.path.to_path_buf();
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let refused = save(part.path, dir.path(), "b.fbx", OnExisting::Replace).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::InvalidData, "{refused}");
        assert!(!dir.path().join("b.fbx").exists());
        assert_eq!(std::fs::read(&target).unwrap(), b"the user's data");
    }
}
