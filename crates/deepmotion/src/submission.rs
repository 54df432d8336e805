//! One submission, one job: the unique name an upload goes under, the
//! record of a `POST /process` whose outcome is unknown, and the exact
//! lookup that resolves it.
//!
//! Every upload is requested under a name of its own: the file's stem, a
//! dash and ten random characters, then its extension (`walk.mp4` is
//! uploaded as `walk-k3x9q2m7a1.mp4`). `/list` shows that name as the
//! job's `fileName`, so the job a submission created is found by equality,
//! never by a similar name or a time window: two `walk.mp4` from two
//! folders, two processes or two clients can never adopt each other's job.
//! [`output_name`] gives an output file its natural name back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Characters of the random part of an upload name.
const SUFFIX_LEN: usize = 10;
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The name to upload `file_name` under: its stem, `-`, ten random
/// characters, and its extension.
pub(crate) fn unique_upload_name(file_name: &str) -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    let suffix: String = (0..SUFFIX_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}-{suffix}.{ext}"),
        _ => format!("{file_name}-{suffix}"),
    }
}

/// The `-xxxxxxxxxx` part of a name made by [`unique_upload_name`].
fn suffix_of(upload_name: &str) -> Option<&str> {
    let stem = match upload_name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => upload_name,
    };
    let start = stem.len().checked_sub(SUFFIX_LEN + 1)?;
    let suffix = stem.get(start..)?;
    let random = suffix.strip_prefix('-')?;
    random
        .bytes()
        .all(|b| ALPHABET.contains(&b))
        .then_some(suffix)
}

/// The file name an upload name was made from (itself when it has no
/// random part).
pub fn original_name(upload_name: &str) -> String {
    match suffix_of(upload_name) {
        Some(suffix) => upload_name.replacen(suffix, "", 1),
        None => upload_name.to_owned(),
    }
}

/// The name to save an output file under: the server's name for it
/// without the random part of the upload name (`walk-k3x9q2m7a1.bvh` of
/// the upload `walk-k3x9q2m7a1.mp4` is saved as `walk.bvh`). Any other
/// name is kept as the server gave it.
pub fn output_name(server_name: &str, upload_name: &str) -> String {
    match suffix_of(upload_name) {
        Some(suffix) if server_name.contains(suffix) => server_name.replacen(suffix, "", 1),
        _ => server_name.to_owned(),
    }
}

/// The name to save the output at `url` under, when the URL's last path
/// segment carries the random part of `upload_name`: that segment without
/// it (see [`output_name`]). `None` leaves the choice to the download.
pub fn output_file_name(url: &str, upload_name: &str) -> Option<String> {
    let suffix = suffix_of(upload_name)?;
    let parsed = url::Url::parse(url).ok()?;
    let segment = parsed.path_segments()?.next_back()?;
    let decoded = percent_decode(segment)?;
    decoded
        .contains(suffix)
        .then(|| output_name(&decoded, upload_name))
}

/// `%XX` sequences decoded; `None` when the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A `POST /process` about to be sent, or sent without a known outcome:
/// what it takes to find its job later with `Process::adopt`.
/// Save it before the request goes out (see
/// [`AnimateEvent::Submitting`](crate::AnimateEvent::Submitting) and
/// [`Process::on_submitting`](crate::Process::on_submitting)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSubmission {
    /// The unique name the input was uploaded under: the `fileName` its
    /// job has in `/list`. `None` for a rerun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_name: Option<String>,
    /// The job a rerun reruns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun_of: Option<String>,
    /// When the request was about to be sent, milliseconds since the Unix
    /// epoch (for people reading it; lookups never depend on it).
    pub since_ms: u64,
}

impl PendingSubmission {
    pub(crate) fn now(upload_name: Option<String>, rerun_of: Option<String>) -> Self {
        let since_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        PendingSubmission {
            upload_name,
            rerun_of,
            since_ms,
        }
    }

    /// When the request was about to be sent.
    pub fn since(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.since_ms)
    }

    /// How to check by hand whether it created a job.
    pub fn how_to_check(&self) -> String {
        match (&self.upload_name, &self.rerun_of) {
            (Some(name), _) => format!(
                "look for a job whose fileName is {name} in GET /list (`motionkit list`), \
                 or call Process::adopt with this name; do not submit it again before"
            ),
            (None, Some(rid)) => format!(
                "look in GET /list (`motionkit list`) for a job newer than {rid} with its \
                 file name before rerunning it again"
            ),
            (None, None) => "look in GET /list (`motionkit list`)".to_owned(),
        }
    }
}

impl std::fmt::Display for PendingSubmission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.upload_name, &self.rerun_of) {
            (Some(name), _) => write!(f, "POST /process for the upload {name}")?,
            (None, Some(rid)) => write!(f, "POST /process rerunning {rid}")?,
            (None, None) => write!(f, "POST /process")?,
        }
        write!(f, ", sent at {}", utc(self.since_ms))
    }
}

/// `since_ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn utc(ms: u64) -> String {
    let (secs, millis) = (ms / 1000, ms % 1000);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// What `/list` says about a [`PendingSubmission`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Adoption {
    /// Exactly one job has the submission's upload name: its rid.
    Found(String),
    /// No job has it (yet: `/list` may lag behind a job just created).
    /// Submitting again is the caller's decision, never the library's.
    NotListed,
    /// Several jobs, none of them claimed by this client, have the name
    /// (the same upload was submitted more than once): their rids.
    Several(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_unique_and_give_their_outputs_natural_names() {
        let a = unique_upload_name("walk.mp4");
        let b = unique_upload_name("walk.mp4");
        assert_ne!(a, b);
        assert!(a.starts_with("walk-") && a.ends_with(".mp4"), "{a}");
        assert_eq!(a.len(), "walk.mp4".len() + SUFFIX_LEN + 1);
        assert_eq!(original_name(&a), "walk.mp4");
        let stem = a.trim_end_matches(".mp4");
        assert_eq!(output_name(&format!("{stem}.bvh"), &a), "walk.bvh");
        assert_eq!(output_name("other.bvh", &a), "other.bvh");
        assert_eq!(output_name("walk.bvh", "walk.mp4"), "walk.bvh");
        let odd = unique_upload_name("clip-abcdefghij.mp4");
        assert_eq!(original_name(&odd), "clip-abcdefghij.mp4");
        let url = format!("http://127.0.0.1:1/o/{}%20x.bvh?sig=1", stem);
        assert_eq!(output_file_name(&url, &a).as_deref(), Some("walk x.bvh"));
        assert_eq!(output_file_name("http://127.0.0.1:1/o/walk.bvh", &a), None);
        let bare = unique_upload_name("noext");
        assert_eq!(original_name(&bare), "noext");
    }

    #[test]
    fn pending_submissions_say_when_and_how_to_check() {
        let pending = PendingSubmission {
            upload_name: Some("walk-k3x9q2m7a1.mp4".into()),
            rerun_of: None,
            since_ms: 1_733_357_412_345,
        };
        let shown = pending.to_string();
        assert!(shown.contains("walk-k3x9q2m7a1.mp4"), "{shown}");
        assert!(shown.contains("2024-12-05T00:10:12.345Z"), "{shown}");
        assert!(pending.how_to_check().contains("GET /list"));
        let saved = serde_json::to_string(&pending).unwrap();
        assert_eq!(
            serde_json::from_str::<PendingSubmission>(&saved).unwrap(),
            pending
        );
        assert_eq!(utc(0), "1970-01-01T00:00:00.000Z");
    }
}
