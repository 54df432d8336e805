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
    /// A value was given for a name the template does not have.
    #[error("endpoint {endpoint}: unknown path parameter `{param}`")]
    Unknown {
        /// Endpoint name.
        endpoint: &'static str,
        /// The unknown name.
        param: String,
    },
}

impl Endpoint {
    /// Fills the path template. Values are percent-encoded so that no value
    /// can add a path segment, a query or a fragment; commas are kept. `.`
    /// and `..` are refused, since a URL would resolve them away.
    pub fn render_path(&self, params: &[(&str, &str)]) -> Result<String, PathError> {
        if let Some((name, _)) = params
            .iter()
            .find(|(name, _)| !self.path_params.contains(name))
        {
            return Err(PathError::Unknown {
                endpoint: self.name,
                param: (*name).to_owned(),
            });
        }
        let mut out = String::with_capacity(self.path.len() + 32);
        let mut rest = self.path;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = open + rest[open..].find('}').unwrap_or(rest.len() - open - 1);
            let name = &rest[open + 1..close];
            let param = self
                .path_params
                .iter()
                .copied()
                .find(|p| *p == name)
                .unwrap_or("?");
            let value = params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .ok_or(PathError::Missing {
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
        assert_eq!(
            STATUS.render_path(&[("rids", "a1,b2")]).unwrap(),
            "/status/a1,b2"
        );
    }

    #[test]
    fn hostile_values_stay_inside_their_segment() {
        let path = STATUS.render_path(&[("rids", "../x?y#z/w")]).unwrap();
        assert_eq!(path, "/status/..%2Fx%3Fy%23z%2Fw");
    }

    #[test]
    fn missing_empty_and_unknown_parameters_are_errors() {
        assert!(matches!(
            STATUS.render_path(&[]),
            Err(PathError::Missing { param: "rids", .. })
        ));
        assert!(matches!(
            STATUS.render_path(&[("rids", "")]),
            Err(PathError::Empty { .. })
        ));
        assert!(matches!(
            STATUS.render_path(&[("rids", "a"), ("other", "b")]),
            Err(PathError::Unknown { .. })
        ));
    }
}
