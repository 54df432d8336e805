//! Hand-written helpers on the generated DeepMotion types.

use crate::deepmotion::{DownloadLink, ErrorCode, JobStatus, StatusDetails};

impl JobStatus {
    /// True once the job will not change again: `SUCCESS` or `FAILURE`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, JobStatus::Success | JobStatus::Failure)
    }
}

/// Why a job failed: a documented code when one can be read, and the raw
/// text either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReason {
    /// The documented code named by the server, if any.
    pub code: Option<ErrorCode>,
    /// Exception type, as sent.
    pub exc_type: Option<String>,
    /// Exception message, as sent.
    pub exc_message: Option<String>,
}

impl std::fmt::Display for FailureReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.code, &self.exc_message, &self.exc_type) {
            (Some(code), _, _) => write!(f, "error {code}")?,
            (None, Some(message), _) => write!(f, "{message}")?,
            (None, None, Some(kind)) => write!(f, "{kind}")?,
            (None, None, None) => f.write_str("no reason given")?,
        }
        // Add the server's text only when it says more than the table does.
        if let (Some(code), Some(message)) = (&self.code, &self.exc_message)
            && !message.contains(code.message())
        {
            write!(f, " ({message})")?;
        }
        Ok(())
    }
}

impl StatusDetails {
    /// `(step, total)` of a job in progress.
    pub fn progress(&self) -> Option<(f64, f64)> {
        Some((self.step?, self.total?))
    }

    /// The failure reason of a `RETRY` or `FAILURE` status.
    pub fn failure(&self) -> FailureReason {
        let code = [self.exc_message.as_deref(), self.exc_type.as_deref()]
            .into_iter()
            .flatten()
            .find_map(documented_code);
        FailureReason {
            code,
            exc_type: self.exc_type.clone(),
            exc_message: self.exc_message.clone(),
        }
    }
}

/// The first whole number in `text` that is a documented error code.
pub fn documented_code(text: &str) -> Option<ErrorCode> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|token| (3..=4).contains(&token.len()))
        .find_map(|token| token.parse().ok().and_then(ErrorCode::from_code))
}

impl DownloadLink {
    /// True when the job has files to download.
    pub fn is_ready(&self) -> bool {
        self.files().next().is_some()
    }

    /// Every `(file type, URL)` pair, in server order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.urls
            .iter()
            .flatten()
            .flat_map(|item| item.files.iter())
            .flat_map(|map| map.iter().map(|(kind, url)| (kind.as_str(), url.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode;
    use crate::deepmotion::DownloadResponse;

    #[test]
    fn failure_reads_documented_codes_and_keeps_raw_text() {
        let details = StatusDetails {
            step: None,
            total: None,
            input: None,
            out: None,
            exc_message: Some("513: Failed to detect character in the video".into()),
            exc_type: Some("RuntimeError".into()),
        };
        let reason = details.failure();
        assert_eq!(reason.code, Some(ErrorCode::Code513));
        assert_eq!(reason.exc_type.as_deref(), Some("RuntimeError"));
        assert!(
            reason
                .to_string()
                .starts_with("error 513: Failed to detect")
        );

        let unknown = StatusDetails {
            exc_message: Some("code 4242 out of memory".into()),
            ..details
        };
        let reason = unknown.failure();
        assert_eq!(reason.code, None);
        assert_eq!(reason.to_string(), "code 4242 out of memory");
    }

    #[test]
    fn download_files_flatten_and_unfinished_jobs_are_not_ready() {
        let body = r#"{"count":2,"links":[
            {"rid":"a","urls":[{"name":"a","files":[{"bvh":"u1"},{"fbx":"u2"}]}]},
            {"rid":"b"}]}"#;
        let parsed: DownloadResponse = decode(body).unwrap();
        let files: Vec<_> = parsed.links[0].files().collect();
        assert_eq!(files, vec![("bvh", "u1"), ("fbx", "u2")]);
        assert!(parsed.links[0].is_ready());
        assert!(!parsed.links[1].is_ready());
    }

    #[test]
    fn only_success_and_failure_are_terminal() {
        assert!(JobStatus::Success.is_terminal());
        assert!(JobStatus::Failure.is_terminal());
        for status in [
            JobStatus::Starting,
            JobStatus::Progress,
            JobStatus::Retry,
            JobStatus::Unknown("X".into()),
        ] {
            assert!(!status.is_terminal(), "{status}");
        }
    }
}
