//! Endpoint descriptors: what a client needs to build a request without
//! hand-writing a path. The descriptors themselves are generated from
//! `specs/` into [`crate::generated`].

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Which service an endpoint belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// DeepMotion Animate 3D.
    DeepMotion,
    /// MotionDynamic.
    MotionDynamic,
}

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// No credentials (signed storage URLs carry their own).
    None,
    /// `Authorization: Basic base64(id:secret)`; answers with the session cookie.
    Basic,
    /// The `dmsess` session cookie obtained from [`AuthKind::Basic`].
    Session,
    /// `Authorization: Bearer <JWT>`.
    Bearer,
}

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyEncoding {
    /// No body.
    None,
    /// `application/json`.
    Json,
}

/// A query parameter an endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryParam {
    /// Name on the wire.
    pub name: &'static str,
    /// Whether the endpoint requires it.
    pub required: bool,
}

/// Everything a client needs to call one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The service this endpoint belongs to.
    pub service: Service,
    /// Stable snake_case name, for logs and metrics.
    pub name: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template relative to the base URL, for example `/status/{rids}`.
    pub path: &'static str,
    /// Names of the `{placeholders}` in [`Endpoint::path`], in order.
    pub path_params: &'static [&'static str],
    /// Query parameters the endpoint accepts.
    pub query_params: &'static [QueryParam],
    /// Whether sending the request twice has the same effect as once.
    /// Only idempotent requests are retried automatically.
    pub idempotent: bool,
    /// How the request authenticates.
    pub auth: AuthKind,
    /// How the request body is encoded.
    pub body: BodyEncoding,
}

/// One call of one endpoint: the descriptor with its path and query
/// filled in. Codegen writes one implementation per endpoint (each
/// service's `requests` module), whose constructor takes the path
/// parameters and required query parameters, so a missing or misspelt
/// parameter does not compile. Implement it yourself to call an endpoint
/// this version does not describe; an [`Endpoint`] without placeholders
/// is itself a request with no parameters.
pub trait Request {
    /// The endpoint this request calls.
    fn endpoint(&self) -> &Endpoint;
    /// The path relative to the base URL, placeholders filled and
    /// percent-encoded ([`Endpoint::fill_path`]).
    fn path(&self) -> Result<String, PathError>;
    /// The query parameters that are set, in the document's order.
    fn query(&self) -> Vec<(&'static str, String)>;
}

/// A descriptor alone, for an endpoint that takes no parameters: its
/// [`Request::path`] is [`PathError::Missing`] when the template has a
/// placeholder.
impl Request for Endpoint {
    fn endpoint(&self) -> &Endpoint {
        self
    }

    fn path(&self) -> Result<String, PathError> {
        self.fill_path(&[])
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// Characters escaped inside one path segment value. `,` is kept because
/// the DeepMotion API joins several ids with commas in one segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b',');

/// A path template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// A placeholder had no value.
    #[error("endpoint {endpoint}: no value for path parameter `{param}`")]
    Missing {
        /// Endpoint name.
        endpoint: &'static str,
        /// Placeholder name.
        param: &'static str,
    },
    /// A placeholder's value was empty, which would change the route.
    #[error("endpoint {endpoint}: path parameter `{param}` is empty")]
    Empty {
        /// Endpoint name.
        endpoint: &'static str,
        /// Placeholder name.
        param: &'static str,
    },
    /// A value was `.` or `..`, which a URL resolves as a dot segment to
    /// another route (`/status/..` is `/`).
    #[error("endpoint {endpoint}: path parameter `{param}` is `.` or `..`")]
    DotSegment {
        /// Endpoint name.
        endpoint: &'static str,
        /// Placeholder name.
        param: &'static str,
    },
    /// More values were given than the template has placeholders.
    #[error("endpoint {endpoint}: {given} path values for {expected} placeholders")]
    TooMany {
        /// Endpoint name.
        endpoint: &'static str,
        /// Placeholders in the template.
        expected: usize,
        /// Values given.
        given: usize,
    },
}

impl Endpoint {
    /// Fills the path template with `values`, one per placeholder in the
    /// order of [`Endpoint::path_params`]. Values are percent-encoded so
    /// that no value can add a path segment, a query or a fragment; commas
    /// are kept. Empty values, `.` and `..` are refused, since they would
    /// change the route. The generated request types call this with their
    /// fields; call it yourself only for an endpoint of your own.
    pub fn fill_path(&self, values: &[&str]) -> Result<String, PathError> {
        if values.len() > self.path_params.len() {
            return Err(PathError::TooMany {
                endpoint: self.name,
                expected: self.path_params.len(),
                given: values.len(),
            });
        }
        let mut out = String::with_capacity(self.path.len() + 32);
        let mut rest = self.path;
        let mut index = 0;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = open + rest[open..].find('}').unwrap_or(rest.len() - open - 1);
            let param = self.path_params.get(index).copied().unwrap_or("?");
            let value = values.get(index).copied().ok_or(PathError::Missing {
                endpoint: self.name,
                param,
            })?;
            if value.is_empty() {
                return Err(PathError::Empty {
                    endpoint: self.name,
                    param,
                });
            }
            if value == "." || value == ".." {
                return Err(PathError::DotSegment {
                    endpoint: self.name,
                    param,
                });
            }
            out.extend(utf8_percent_encode(value, SEGMENT));
            rest = &rest[(close + 1).min(rest.len())..];
            index += 1;
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: Endpoint = Endpoint {
        service: Service::DeepMotion,
        name: "status",
        method: Method::Get,
        path: "/status/{rids}",
        path_params: &["rids"],
        query_params: &[],
        idempotent: true,
        auth: AuthKind::Session,
        body: BodyEncoding::None,
    };

    #[test]
    fn fills_template_and_keeps_commas() {
        assert_eq!(STATUS.fill_path(&["a1,b2"]).unwrap(), "/status/a1,b2");
    }

    #[test]
    fn hostile_values_stay_inside_their_segment() {
        let path = STATUS.fill_path(&["../x?y#z/w"]).unwrap();
        assert_eq!(path, "/status/..%2Fx%3Fy%23z%2Fw");
    }

    #[test]
    fn missing_empty_and_extra_values_are_errors() {
        assert!(matches!(
            STATUS.fill_path(&[]),
            Err(PathError::Missing { param: "rids", .. })
        ));
        assert!(matches!(
            STATUS.fill_path(&[""]),
            Err(PathError::Empty { .. })
        ));
        assert!(matches!(
            STATUS.fill_path(&["a", "b"]),
            Err(PathError::TooMany {
                expected: 1,
                given: 2,
                ..
            })
        ));
    }
}
