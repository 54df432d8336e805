//! Resumable uploads that outlive the process that started them.
//!
//! A resumable session stays valid for days on Google Cloud Storage, so an
//! upload interrupted by Ctrl-C or a crash can go on from where the storage
//! stopped: save the [`SessionUri`] that [`UploadOptions::on_session`]
//! hands out, and give it back as [`UploadOptions::resume`] in the next
//! run. [`Transport::upload_status`] asks the storage how much of a session
//! it has committed (an empty `PUT` with `Content-Range: bytes */TOTAL`).
//!
//! Whoever holds a session URI can write the object, so it is a secret:
//! its `Debug` and `Display` show the origin only.
//!
//! [`UploadOptions::on_session`]: crate::UploadOptions::on_session
//! [`UploadOptions::resume`]: crate::UploadOptions::resume

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::auth::Credentials;
use crate::body::Meter;
use crate::call::parse_absolute;
use crate::classify::is_transient_status;
use crate::client::Transport;
use crate::error::Error;
use crate::response::http_error;
use crate::resumable::{check_final_size, committed_after_308, status_query};

/// The URI of a resumable upload session (the `Location` the storage
/// answered the session's start with).
///
/// Serialises as the plain URI, so it can be saved (keep the file private);
/// `Debug` and `Display` show only the scheme, host and port.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionUri(String);

impl SessionUri {
    /// Wraps a session URI, such as one read back from a saved state.
    pub fn new(uri: impl Into<String>) -> Self {
        SessionUri(uri.into())
    }

    /// The whole URI, secret included. Only for sending it, or saving it
    /// where only its owner can read it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The origin of the URI, for messages: `scheme://host[:port]/…`.
    fn shown(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(url) => {
                let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
                if let Some(port) = url.port() {
                    shown.push_str(&format!(":{port}"));
                }
                shown.push_str("/…");
                shown
            }
            Err(_) => "[redacted]".to_owned(),
        }
    }
}

impl fmt::Debug for SessionUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionUri({})", self.shown())
    }
}

impl fmt::Display for SessionUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

/// Called with the URI of every resumable session an upload starts,
/// before the first byte goes out. It is called from the upload task, so
/// it must be quick (saving a small file is fine).
pub type SessionFn = Arc<dyn Fn(&SessionUri) + Send + Sync>;

/// What the storage holds of a resumable session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionStatus {
    /// `308`: the first `committed` bytes are stored; the upload goes on
    /// from there.
    Incomplete {
        /// Bytes stored, from offset 0.
        committed: u64,
    },
    /// `200`/`201`: every byte is stored and the object is complete.
    Complete,
    /// `404` (unknown) or `410` (expired or cancelled): the session cannot
    /// be used any more; the upload has to start over in a new one.
    Gone {
        /// The status the storage answered.
        status: u16,
    },
}

impl Transport {
    /// Asks the storage how much of the `total`-byte upload in `session`
    /// it has committed: `PUT` with an empty body and
    /// `Content-Range: bytes */TOTAL`, as Google Cloud Storage documents
    /// for resuming an interrupted upload. Retried after dropped
    /// connections, timeouts and transient statuses.
    pub async fn upload_status(
        &self,
        session: &SessionUri,
        total: u64,
    ) -> Result<SessionStatus, Error> {
        let url = parse_absolute(session.expose())?;
        let call = status_query(&url, total);
        let mut faults_in_row = 0u32;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let result = self
                .exchange(&call, &Credentials::None, attempt, None, &Meter::default())
                .await?;
            let fault = match result {
                Ok(response) => match response.status().as_u16() {
                    200 | 201 => {
                        check_final_size(&call.label, &response, total, total)?;
                        return Ok(SessionStatus::Complete);
                    }
                    308 => {
                        let committed =
                            committed_after_308(&call.label, &response, total, 0, total)?;
                        return Ok(SessionStatus::Incomplete { committed });
                    }
                    status @ (404 | 410) => return Ok(SessionStatus::Gone { status }),
                    status if is_transient_status(status) => Ok(response),
                    _ => return Err(http_error(&call.label, &response)),
                },
                Err(failure) => Err(failure),
            };
            faults_in_row += 1;
            let Some(delay) = self.transfer_retry_delay(&fault, faults_in_row) else {
                return Err(match fault {
                    Ok(response) => http_error(&call.label, &response),
                    Err(failure) => failure.into_error(&call.label),
                });
            };
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_uri_shows_only_its_origin() {
        let uri = SessionUri::new(
            "https://storage.example:8443/upload/b/o?uploadType=resumable&upload_id=SECRET-ID",
        );
        for shown in [format!("{uri:?}"), uri.to_string()] {
            assert!(!shown.contains("SECRET-ID"), "{shown}");
            assert!(!shown.contains("upload_id"), "{shown}");
            assert!(shown.contains("https://storage.example:8443/…"), "{shown}");
        }
        assert_eq!(
            format!("{:?}", SessionUri::new("not a url SECRET")),
            "SessionUri([redacted])"
        );
        let json = serde_json::to_string(&uri).unwrap();
        assert!(json.contains("SECRET-ID"), "saved whole: {json}");
        let back: SessionUri = serde_json::from_str(&json).unwrap();
        assert_eq!(back, uri);
    }
}
