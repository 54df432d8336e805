//! Signed storage URLs, session cookies and the small text codecs they need.
//!
//! A storage URL is `{base}/storage/{object key}?expires={unix seconds}&signature={hex}`
//! where the signature is HMAC-SHA256 over `"{METHOD}\n{object key}\n{expires}"`
//! with the emulator's secret key. The method is part of what is signed, as
//! with Google Cloud Storage signed URLs: a resumable upload URL only
//! accepts `POST` (to start a session), a regular upload URL only `PUT`,
//! and a download link only `GET`/`HEAD`. Any change to the key, the expiry
//! or the signature gives `403`.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Lower-case hex.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    out
}

/// HMAC-SHA256 of `message` under `key`.
fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Encodes an object key for a URL path, keeping its `/` separators.
pub(super) fn encode_key(key: &str) -> String {
    key.split('/')
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

/// Decodes `%XX` escapes (and `+` as space when `plus` is set). Invalid
/// escapes are kept as they are; invalid UTF-8 is replaced.
pub(super) fn decode_component(text: &str, plus: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let pair = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match pair {
                    Some(value) => {
                        out.push(value);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=x%20y` as decoded pairs, in order (form and query syntax).
pub(super) fn parse_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (decode_component(key, true), decode_component(value, true))
        })
        .collect()
}

/// The first value of `name` in a query string.
pub(super) fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    parse_pairs(query.unwrap_or(""))
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// The value of cookie `name` in a `Cookie` header.
pub(super) fn cookie_value(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|part| {
        let (key, value) = part.trim().split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Signs and checks storage URLs and session cookies.
#[derive(Clone)]
pub(super) struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

/// Why a signed URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No `expires` or `signature` in the query.
    Missing,
    /// The signature does not match (tampered, or signed for another method).
    Mismatch,
    /// The URL has expired.
    Expired,
}

impl Signer {
    /// A signer with this secret key.
    pub(super) fn new(key: Vec<u8>) -> Self {
        Signer { key }
    }

    fn signature(&self, method: &str, key: &str, expires: u64) -> String {
        hex(&hmac(
            &self.key,
            format!("{method}\n{key}\n{expires}").as_bytes(),
        ))
    }

    /// `{base}/storage/{key}?expires=..&signature=..` for `method`.
    pub(super) fn url(&self, base: &str, method: &str, key: &str, expires: u64) -> String {
        format!(
            "{base}/storage/{}?expires={expires}&signature={}",
            encode_key(key),
            self.signature(method, key, expires)
        )
    }

    /// Checks a storage request's query for `method` on `key` at `now`
    /// (Unix seconds).
    pub(super) fn verify(
        &self,
        method: &str,
        key: &str,
        query: Option<&str>,
        now: u64,
    ) -> Result<(), Refusal> {
        let expires = query_value(query, "expires").ok_or(Refusal::Missing)?;
        let signature = query_value(query, "signature").ok_or(Refusal::Missing)?;
        let expires_at: u64 = expires.parse().map_err(|_| Refusal::Mismatch)?;
        let expected = self.signature(method, key, expires_at);
        if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return Err(Refusal::Mismatch);
        }
        if expires_at < now {
            return Err(Refusal::Expired);
        }
        Ok(())
    }

    /// A session cookie value for `token`, shaped like the document's
    /// sample (`s:<token>.<signature>`, percent-encoded).
    pub(super) fn session_cookie(&self, token: &str) -> String {
        use base64::Engine as _;
        let mac = hmac(&self.key, format!("session\n{token}").as_bytes());
        let sig = base64::engine::general_purpose::STANDARD_NO_PAD.encode(mac);
        encode_component(&format!("s:{token}.{sig}"))
    }

    /// The token inside a session cookie value, when its signature holds.
    pub(super) fn session_token(&self, cookie: &str) -> Option<String> {
        use base64::Engine as _;
        let decoded = decode_component(cookie, false);
        let body = decoded.strip_prefix("s:")?;
        let (token, sig) = body.rsplit_once('.')?;
        let mac = hmac(&self.key, format!("session\n{token}").as_bytes());
        let expected = base64::engine::general_purpose::STANDARD_NO_PAD.encode(mac);
        bool::from(expected.as_bytes().ct_eq(sig.as_bytes())).then(|| token.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_bind_key_method_and_expiry() {
        let signer = Signer::new(b"k".to_vec());
        let url = signer.url("http://h", "PUT", "uploads/a b/x.mp4", 100);
        assert!(url.starts_with("http://h/storage/uploads/a%20b/x.mp4?expires=100&signature="));
        let query = url.split_once('?').map(|(_, q)| q);
        assert_eq!(signer.verify("PUT", "uploads/a b/x.mp4", query, 50), Ok(()));
        assert_eq!(
            signer.verify("GET", "uploads/a b/x.mp4", query, 50),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            signer.verify("PUT", "uploads/a b/y.mp4", query, 50),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            signer.verify("PUT", "uploads/a b/x.mp4", query, 101),
            Err(Refusal::Expired)
        );
        let tampered = query.unwrap().replace("expires=100", "expires=900");
        assert_eq!(
            signer.verify("PUT", "uploads/a b/x.mp4", Some(&tampered), 50),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            signer.verify("PUT", "uploads/a b/x.mp4", None, 50),
            Err(Refusal::Missing)
        );
    }

    #[test]
    fn session_cookies_round_trip_and_reject_forgeries() {
        let signer = Signer::new(b"k".to_vec());
        let cookie = signer.session_cookie("tok");
        assert!(cookie.starts_with("s%3Atok."), "{cookie}");
        assert_eq!(signer.session_token(&cookie).as_deref(), Some("tok"));
        assert_eq!(signer.session_token("s%3Atok.AAAA"), None);
        assert_eq!(Signer::new(b"other".to_vec()).session_token(&cookie), None);
    }

    #[test]
    fn codecs() {
        assert_eq!(decode_component("a%2Cb+c%zz%4", true), "a,b c%zz%4");
        assert_eq!(
            parse_pairs("name=x.mp4&resumable=0&&flag"),
            vec![
                ("name".to_owned(), "x.mp4".to_owned()),
                ("resumable".to_owned(), "0".to_owned()),
                ("flag".to_owned(), String::new()),
            ]
        );
        assert_eq!(
            cookie_value("a=1; dmsess=s%3Ax.y ; b=2", "dmsess").as_deref(),
            Some("s%3Ax.y")
        );
        assert_eq!(hex(&[0, 255, 16]), "00ff10");
    }
}
