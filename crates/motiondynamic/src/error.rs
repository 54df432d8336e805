//! The one error type of the MotionDynamic client.
//!
//! Every message is a single line and never contains the JWT, a webhook
//! token or a signed query string.

use motionkit_transport::status_verdict;
use std::time::Duration;

use motionkit_models::motiondynamic::{GraphqlError, PostgrestError};
use motionkit_transport::Sent;
use motionkit_validation::Violations;

/// PostgreSQL's `insufficient_privilege`: the role may not do this.
/// PostgreSQL's `insufficient_privilege`, which PostgREST sends when the
/// token's role may not do what was asked.
pub const PERMISSION_DENIED: &str = "42501";

/// PostgREST codes that mean the JWT is missing, invalid or expired.
const AUTH_CODES: [&str; 3] = ["PGRST301", "PGRST302", "PGRST303"];

/// Everything the MotionDynamic client can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was rejected before anything was sent to the API: every
    /// violation names the field (a layer such as `l3_prix_01`), the rule
    /// and the offending value.
    #[error(transparent)]
    Validation(#[from] Violations),
    /// The HTTP layer failed: network, timeout, rate limit, an HTTP status
    /// without a PostgREST body, or an expired/rejected JWT
    /// ([`Error::is_auth`]).
    #[error(transparent)]
    Transport(#[from] motionkit_transport::Error),
    /// PostgREST answered with an error body `{code, message, details, hint}`.
    #[error("{request} returned HTTP {status}{}: {}", request_id_suffix(.request_id), postgrest_summary(.error))]
    Postgrest {
        /// Method and path template of the request.
        request: String,
        /// The HTTP status.
        status: u16,
        /// The decoded error body.
        error: Box<PostgrestError>,
        /// The server's request id, when the answer carried one.
        request_id: Option<String>,
    },
    /// A GraphQL response carried a non-empty `errors` list. `data` keeps
    /// whatever partial result came with it.
    #[error("GraphQL {operation} failed: {}", graphql_summary(.errors))]
    Graphql {
        /// The operation name, such as `CreateGeneration`.
        operation: String,
        /// The errors, as sent.
        errors: Vec<GraphqlError>,
        /// The partial `data`, if any.
        data: Option<serde_json::Value>,
    },
    /// The theme or generation does not exist (or the token cannot see it).
    #[error("{what} {id} not found (wrong id, or not visible to this token)")]
    NotFound {
        /// `theme` or `generation`.
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// MotionDynamic accepted the generation but discarded it for invalid
    /// inputs: it will never be rendered and no webhook will come.
    #[error(
        "generation {generation_id} was discarded by MotionDynamic (invalid inputs, which the \
         API does not name); check every value against the theme (`validate`), and that each \
         picture URL stays reachable until the render starts"
    )]
    Discarded {
        /// The generation id.
        generation_id: String,
    },
    /// The video was not ready when the wait's time ran out.
    #[error("generation {generation_id} not ready after {:.0}s; wait again or raise the wait timeout", .after.as_secs_f64())]
    WaitTimeout {
        /// The generation id.
        generation_id: String,
        /// How long the wait lasted.
        after: Duration,
    },
    /// Nothing here can tell when the video is ready: the server refuses
    /// reads of generations to this token, and no webhook can reach this
    /// process for it.
    #[error("cannot wait for generation {generation}: {reason}")]
    CannotWait {
        /// The generation id, or its callback key when the id is unknown.
        generation: String,
        /// Why.
        reason: String,
    },
    /// A success response that does not say what the API promises (for
    /// example an empty row list after `Prefer: return=representation`).
    #[error("{request}: unexpected answer: {message}")]
    Unexpected {
        /// Method and path template (or GraphQL operation) of the request.
        request: String,
        /// What was wrong.
        message: String,
    },
}

/// Cuts a server-provided text to one line of bounded length, at a word
/// boundary when there is one in the last quarter, marked with `…`.
pub(crate) fn one_line(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (count, ch) in text.chars().enumerate() {
        if count == max_chars {
            let keep = out
                .rfind(' ')
                .filter(|&at| out[..at].chars().count() >= max_chars * 3 / 4);
            if let Some(at) = keep {
                out.truncate(at);
            }
            out.push('…');
            break;
        }
        out.push(if ch.is_control() { ' ' } else { ch });
    }
    out.trim().to_owned()
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request id {})", one_line(id, 64)),
        None => String::new(),
    }
}

fn postgrest_summary(error: &PostgrestError) -> String {
    let mut out = String::new();
    if let Some(code) = &error.code {
        out.push_str(&one_line(code, 16));
        out.push_str(": ");
    }
    out.push_str(&one_line(&error.message, 200));
    if let Some(Some(details)) = &error.details {
        let details = match details {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if !details.is_empty() {
            out.push_str(" (details: ");
            out.push_str(&one_line(&details, 200));
            out.push(')');
        }
    }
    if let Some(Some(hint)) = &error.hint
        && !hint.is_empty()
    {
        out.push_str(" (hint: ");
        out.push_str(&one_line(hint, 200));
        out.push(')');
    }
    out
}

fn graphql_summary(errors: &[GraphqlError]) -> String {
    match errors {
        [] => "an empty errors list".to_owned(),
        [first, rest @ ..] => {
            let mut out = one_line(&first.message, 200);
            if let Some(code) = graphql_code(first) {
                out = format!("{}: {out}", one_line(code, 16));
            }
            if !rest.is_empty() {
                out.push_str(&format!(" (and {} more)", rest.len()));
            }
            out
        }
    }
}

fn graphql_code(error: &GraphqlError) -> Option<&str> {
    error.extensions.as_ref()?.get("code")?.as_str()
}

impl Error {
    /// Whether the failed request may have reached the server. After
    /// anything but [`Sent::NotSent`], a non-idempotent request must not be
    /// re-sent without checking its effect first (the client does this
    /// itself for generations).
    pub fn sent(&self) -> Sent {
        match self {
            Error::Transport(e) => e.sent(),
            Error::Validation(_) => Sent::NotSent,
            Error::WaitTimeout { .. } => Sent::NotSent,
            _ => Sent::Sent,
        }
    }

    /// False only when the request surely never left this machine (bad
    /// input, a connection that was never opened).
    pub fn may_have_reached_server(&self) -> bool {
        self.sent() != Sent::NotSent
    }

    /// True when the server may have acted on the failed request (created
    /// a generation): check before sending it again. Decided by the
    /// transport's classifier for transport errors.
    pub fn may_have_acted(&self) -> bool {
        match self {
            Error::Transport(e) => e.may_have_acted(),
            Error::Validation(_) | Error::WaitTimeout { .. } | Error::NotFound { .. } => false,
            _ => self.sent() != Sent::NotSent,
        }
    }

    /// The server's request id, when the answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Transport(e) => e.request_id(),
            Error::Postgrest { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// True when the server broke the HTTP, upload or download protocol
    /// (see [`motionkit_transport::Error::is_server_fault`]): retrying will
    /// most likely fail the same way.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Error::Transport(e) if e.is_server_fault())
    }

    /// True when the JWT is missing, rejected or expired: get a new token
    /// and give it to the client ([`Client::set_token`](crate::Client::set_token),
    /// or a [token provider](crate::ClientBuilder::token_provider)).
    /// Retrying with the same token does not help.
    pub fn is_auth(&self) -> bool {
        match self {
            Error::Transport(motionkit_transport::Error::Auth { .. }) => true,
            // 42501 is a permission of the token's role (PostgREST sends
            // it with 401 for an anonymous role): the token itself is fine.
            Error::Postgrest { status, error, .. } => {
                let code = error.code.as_deref();
                (*status == 401 && code != Some(PERMISSION_DENIED))
                    || code.is_some_and(|c| AUTH_CODES.contains(&c))
            }
            Error::Graphql { errors, .. } => errors
                .iter()
                .filter_map(graphql_code)
                .any(|c| AUTH_CODES.contains(&c)),
            _ => false,
        }
    }

    /// True when the server's permissions refused the request, not the
    /// token: 401/403 with PostgREST's `42501`, or 403/404 (a table the
    /// role cannot see). A token that may create generations but not read
    /// them gets this for every read of `generations`.
    pub fn is_permission_denied(&self) -> bool {
        if self.is_auth() {
            return false;
        }
        match self {
            Error::Postgrest { status, .. } => matches!(status, 401 | 403 | 404),
            Error::Transport(motionkit_transport::Error::Http { status, .. }) => {
                matches!(status, 403 | 404)
            }
            _ => false,
        }
    }

    /// True for failures worth trying again later: network trouble,
    /// timeouts, rate limiting, 5xx answers and a wait that ran out.
    pub fn is_temporary(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_temporary(),
            Error::Postgrest { status, .. } => status_verdict(*status).temporary,
            Error::WaitTimeout { .. } => true,
            _ => false,
        }
    }

    /// The HTTP status, for errors that carry one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Transport(e) => e.status(),
            Error::Postgrest { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The PostgREST or GraphQL error code (`PGRST303`, `23503`, ...), when
    /// the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Transport(motionkit_transport::Error::Auth { code, .. }) => code.as_deref(),
            Error::Postgrest { error, .. } => error.code.as_deref(),
            Error::Graphql { errors, .. } => errors.iter().find_map(graphql_code),
            _ => None,
        }
    }

    /// The violations of a [`Error::Validation`].
    pub fn violations(&self) -> Option<&Violations> {
        match self {
            Error::Validation(v) => Some(v),
            Error::Transport(motionkit_transport::Error::Validation(v)) => Some(v),
            _ => None,
        }
    }
}

/// Turns a transport error into a PostgREST error when its body excerpt is
/// a PostgREST error body; other errors pass through.
pub(crate) fn from_transport(error: motionkit_transport::Error) -> Error {
    let request_id = error.request_id().map(str::to_owned);
    // The transport reads every 401 as a rejected token; with 42501 it is
    // a permission of the role instead (PostgREST's anonymous role).
    if let motionkit_transport::Error::Auth {
        request,
        code: Some(code),
        ..
    } = &error
        && code == PERMISSION_DENIED
    {
        return Error::Postgrest {
            request: request.clone(),
            status: 401,
            error: Box::new(PostgrestError {
                code: Some(code.clone()),
                message: "permission denied".to_owned(),
                details: None,
                hint: None,
            }),
            request_id,
        };
    }
    if let motionkit_transport::Error::Http {
        request,
        status,
        body,
        ..
    } = &error
        && let Some(parsed) = parse_postgrest(body)
    {
        return Error::Postgrest {
            request: request.clone(),
            status: *status,
            error: Box::new(parsed),
            request_id,
        };
    }
    Error::Transport(error)
}

/// Reads a PostgREST error body, also from an excerpt cut short: then the
/// `code`, `message` and `hint` strings that are complete are kept.
pub(crate) fn parse_postgrest(body: &str) -> Option<PostgrestError> {
    if let Ok(parsed) = serde_json::from_str::<PostgrestError>(body) {
        return Some(parsed);
    }
    if !body.trim_start().starts_with('{') {
        return None;
    }
    let message = string_field(body, "message")?;
    Some(PostgrestError {
        code: string_field(body, "code"),
        message,
        details: None,
        hint: string_field(body, "hint").map(Some),
    })
}

/// The JSON string value of `"key":` in a possibly truncated JSON object.
fn string_field(body: &str, key: &str) -> Option<String> {
    let needle = format!("\"{key}\"");
    let at = body.find(&needle)? + needle.len();
    let rest = body[at..].trim_start().strip_prefix(':')?.trim_start();
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<String>();
    values.next()?.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_between_words() {
        let cut = one_line(
            "the request was refused by the server because of its size",
            30,
        );
        assert_eq!(cut, "the request was refused by…");
        let word = one_line(&"x".repeat(50), 10);
        assert_eq!(word, format!("{}…", "x".repeat(10)));
        assert_eq!(one_line("short\ntext", 30), "short text");
    }

    #[test]
    fn postgrest_bodies_become_typed_errors_even_when_cut_short() {
        let expired = motionkit_transport::Error::Http {
            request: "GET /rest/themes".into(),
            status: 400,
            body: r#"{"code":"42703","message":"column themes.nope does not exist","details":null,"hint":"Perhaps you meant\nto reference \"title\"."}"#.into(),
            request_id: Some("req-42703".into()),
        };
        let error = from_transport(expired);
        assert_eq!(error.code(), Some("42703"));
        assert_eq!(
            error.request_id(),
            Some("req-42703"),
            "kept from the answer"
        );
        assert_eq!(error.status(), Some(400));
        let text = error.to_string();
        assert!(!text.contains('\n'), "{text}");
        assert!(text.starts_with("GET /rest/themes returned HTTP 400 (request id req-42703): 42703: column themes.nope does not exist (hint: Perhaps you meant to reference \"title\".)"), "{text}");

        let cut = format!(
            r#"{{"code":"PGRST000","message":"upstream failed","details":"{}…"#,
            "x".repeat(600)
        );
        let parsed = parse_postgrest(&cut).unwrap();
        assert_eq!(parsed.code.as_deref(), Some("PGRST000"));
        assert_eq!(parsed.message, "upstream failed");
        assert!(parse_postgrest("<html>bad gateway</html>").is_none());
        assert!(parse_postgrest("").is_none());
    }

    #[test]
    fn helpers_classify_errors() {
        let auth = Error::Transport(motionkit_transport::Error::Auth {
            request: "GET /rest/themes".into(),
            message: "JWT expired".into(),
            code: Some("PGRST303".into()),
            sent: Sent::Sent,
        });
        assert!(auth.is_auth());
        assert!(!auth.is_temporary());
        assert_eq!(auth.code(), Some("PGRST303"));
        let busy = Error::Postgrest {
            request: "POST /rest/generations".into(),
            status: 503,
            error: Box::new(PostgrestError {
                code: Some("PGRST000".into()),
                message: "unavailable".into(),
                details: None,
                hint: None,
            }),
            request_id: None,
        };
        assert!(busy.is_temporary());
        assert!(!busy.is_auth());
        let gql = Error::Graphql {
            operation: "Themes".into(),
            errors: vec![GraphqlError {
                message: "jwt expired\nagain".into(),
                path: None,
                locations: None,
                extensions: Some(serde_json::json!({"code": "PGRST303"})),
            }],
            data: None,
        };
        assert!(gql.is_auth());
        assert_eq!(
            gql.to_string(),
            "GraphQL Themes failed: PGRST303: jwt expired again"
        );
    }
}
