//! [`Response`]: a buffered answer, and the error for one that failed.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::redact::{BODY_EXCERPT_BYTES, excerpt};
use crate::retry::parse_retry_after;

/// Response headers that carry a server-side request id, in order of
/// preference.
pub(crate) const REQUEST_ID_HEADERS: [&str; 4] =
    ["x-request-id", "request-id", "x-correlation-id", "cf-ray"];

/// A buffered response: status, headers and the whole body.
///
/// Used for API calls, whose bodies are small; downloads stream to disk
/// instead.
#[derive(Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Response {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        Response {
            status,
            headers,
            body,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body, consuming the response.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The server's request id, from `x-request-id` and similar headers.
    pub fn request_id(&self) -> Option<&str> {
        REQUEST_ID_HEADERS
            .iter()
            .find_map(|name| self.headers.get(*name)?.to_str().ok())
    }

    /// The `Retry-After` header as a duration from now.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?;
        parse_retry_after(value, SystemTime::now())
    }

    /// Decodes the body as JSON; errors name the JSON path of the first
    /// mismatch. An empty body decodes as `null`.
    pub fn json<T: DeserializeOwned>(&self, request: &str) -> Result<T, Error> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &self.body
        };
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let value =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| Error::Decode {
                request: request.to_owned(),
                path: e.path().to_string(),
                message: e.inner().to_string(),
                body: excerpt(&self.body, BODY_EXCERPT_BYTES),
            })?;
        // Text after the value means the body is not the JSON it claims to be.
        deserializer.end().map_err(|e| Error::Decode {
            request: request.to_owned(),
            path: ".".to_owned(),
            message: e.to_string(),
            body: excerpt(&self.body, BODY_EXCERPT_BYTES),
        })?;
        Ok(value)
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.keys().map(|k| k.as_str()).collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &header_names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

pub(crate) fn http_error(request: &str, response: &Response) -> Error {
    Error::Http {
        request: request.to_owned(),
        status: response.status.as_u16(),
        body: excerpt(&response.body, BODY_EXCERPT_BYTES),
        request_id: response.request_id().map(|id| excerpt(id.as_bytes(), 128)),
    }
}
