//! Masking the secrets a server quotes back.
//!
//! A server that echoes the request in its answer ("invalid cookie
//! dmsess=…", "bad signature X-Goog-Signature=…") would otherwise put a
//! secret into an error message, a log line or `--json` output. Every
//! answer's body, and its request-id header, is scrubbed once, as it is
//! read ([`scrub_body`]), of every value this transport knows to be
//! secret:
//!
//! - the client secret and the Basic header's token (session auth);
//! - the bearer token (JWT) and its signature part;
//! - the current session cookie;
//! - for server-given URLs (signed links, resumable session URIs), the
//!   values of the query string, which carry their signatures and upload
//!   ids.
//!
//! Each value is matched as sent and percent-encoded, and replaced with
//! [`MASK`]. Values shorter than [`MIN_SECRET_CHARS`] are not masked: they
//! would match ordinary text and carry no secret worth the name.

use bytes::Bytes;
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::zeroize::Zeroizing;
use url::Url;

/// What a masked secret is replaced with.
pub(crate) const MASK: &str = "[redacted]";

/// Shortest value that is masked, in characters.
pub(crate) const MIN_SECRET_CHARS: usize = 6;

/// Shortest query value of a server-given URL that is masked: signatures
/// and ids are long; `X-Goog-Expires=900` is not a secret.
const MIN_QUERY_SECRET_CHARS: usize = 8;

/// Most secret forms kept across credential rotations (see
/// [`Secrets::extend`]).
const MAX_FORMS: usize = 64;

/// The forms of some secrets that are looked for in server text.
#[derive(Default, Clone)]
pub(crate) struct Secrets {
    forms: Vec<Zeroizing<String>>,
}

impl Secrets {
    /// The query values of a server-given URL.
    pub(crate) fn of_url(url: &Url) -> Secrets {
        let mut secrets = Secrets::default();
        if let Some(query) = url.query() {
            for pair in query.split('&') {
                let value = pair.split_once('=').map_or("", |(_, v)| v);
                if value.chars().count() >= MIN_QUERY_SECRET_CHARS {
                    secrets.add(value);
                    if let Ok(decoded) = percent_decode_str(value).decode_utf8() {
                        secrets.add(&decoded);
                    }
                }
            }
        }
        secrets
    }

    /// Adds `secret` (as given and percent-encoded), unless it is short.
    /// Adds every form of `other`, keeping the newest [`MAX_FORMS`] in
    /// all, so that a client whose token is replaced every minute for
    /// months does not mask an ever longer list.
    pub(crate) fn extend(&mut self, other: &Secrets) {
        self.forms.extend(other.forms.iter().cloned());
        let excess = self.forms.len().saturating_sub(MAX_FORMS);
        self.forms.drain(..excess);
    }

    pub(crate) fn add(&mut self, secret: &str) {
        if secret.chars().count() < MIN_SECRET_CHARS {
            return;
        }
        let encoded = Zeroizing::new(utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string());
        for form in [Zeroizing::new(secret.to_owned()), encoded] {
            if !self.forms.iter().any(|known| **known == *form) {
                self.forms.push(form);
            }
        }
        // Longest first, so that a secret containing another is masked whole.
        self.forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        self.forms.iter().map(|form| form.as_str())
    }
}

/// `text` with every form of every secret in `lists` replaced by [`MASK`];
/// `None` when there was nothing to mask.
pub(crate) fn mask_text(text: &str, lists: &[&Secrets]) -> Option<String> {
    let found = lists
        .iter()
        .flat_map(|list| list.iter())
        .any(|form| text.contains(form));
    if !found {
        return None;
    }
    let mut out = text.to_owned();
    for list in lists {
        for form in list.iter() {
            if out.contains(form) {
                out = out.replace(form, MASK);
            }
        }
    }
    Some(out)
}

/// A body with every known secret masked. Bodies that hold no secret (all
/// but a hostile server's) are returned as they are, without a copy.
pub(crate) fn scrub_body(body: Bytes, lists: &[&Secrets]) -> Bytes {
    if lists.iter().all(|list| list.forms.is_empty()) || body.is_empty() {
        return body;
    }
    let text = String::from_utf8_lossy(&body);
    match mask_text(&text, lists) {
        Some(masked) => Bytes::from(masked),
        None => body,
    }
}

/// Masks known secrets in the headers an error message may quote (the
/// request-id headers).
pub(crate) fn scrub_headers(headers: &mut HeaderMap, names: &[&'static str], lists: &[&Secrets]) {
    for name in names {
        let masked = headers
            .get(*name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| mask_text(value, lists));
        if let Some(masked) = masked {
            headers.insert(
                *name,
                HeaderValue::from_str(&masked).unwrap_or(HeaderValue::from_static(MASK)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_masked_and_short_values_are_not() {
        let mut secrets = Secrets::default();
        secrets.add("s3cr3t/+value");
        secrets.add("abc");
        let text = "got s3cr3t/+value and s3cr3t%2F%2Bvalue, abc stays";
        let masked = mask_text(text, &[&secrets]).unwrap();
        assert_eq!(masked, "got [redacted] and [redacted], abc stays");
        assert_eq!(mask_text("nothing here", &[&secrets]), None);
    }

    #[test]
    fn signed_url_query_values_are_secrets_and_short_ones_are_not() {
        let url = Url::parse(
            "https://storage.example/o?X-Goog-Signature=abcdef0123456789&X-Goog-Expires=900&upload_id=ID%2Fwith%2Fslashes",
        )
        .unwrap();
        let secrets = Secrets::of_url(&url);
        let body = Bytes::from_static(
            b"bad sig abcdef0123456789 for upload ID/with/slashes (ID%2Fwith%2Fslashes), expires 900",
        );
        let scrubbed = scrub_body(body, &[&secrets]);
        assert_eq!(
            &scrubbed[..],
            b"bad sig [redacted] for upload [redacted] ([redacted]), expires 900"
        );
    }

    #[test]
    fn a_body_without_secrets_is_not_copied() {
        let secrets = Secrets::of_url(&Url::parse("https://h/o?sig=0123456789").unwrap());
        let body = Bytes::from_static(b"{\"status\":\"ok\"}");
        let pointer = body.as_ptr();
        assert_eq!(scrub_body(body, &[&secrets]).as_ptr(), pointer);
    }

    #[test]
    fn rotated_secrets_stay_masked_within_a_bound() {
        let mut all = Secrets::default();
        for n in 0..100 {
            let mut one = Secrets::default();
            one.add(&format!("token-number-{n:03}"));
            all.extend(&one);
        }
        assert_eq!(all.forms.len(), MAX_FORMS);
        assert!(
            mask_text("token-number-099 leaked", &[&all]).is_some(),
            "the newest"
        );
        assert_eq!(
            mask_text("token-number-000 leaked", &[&all]),
            None,
            "the oldest went"
        );
    }
}
