//! Making URLs, bodies and headers safe to print.
//!
//! Signed storage URLs carry their credentials in the query string, so every
//! URL that reaches a log line or an error message goes through
//! [`redact_url`] first. Response bodies are cut to a bounded, single-line
//! excerpt by [`excerpt`].

use url::Url;

/// Longest response-body excerpt kept in an error, in bytes.
pub const BODY_EXCERPT_BYTES: usize = 512;

/// `scheme://host[:port]/path` of a URL: no user info, query or fragment.
///
/// Works on strings that do not parse as URLs too, by cutting at the first
/// `?` or `#` and dropping anything before an `@` in the authority.
pub fn redact_url(url: &str) -> String {
    if let Ok(parsed) = Url::parse(url) {
        return redact_parsed(&parsed);
    }
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let without_query = &url[..cut];
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => without_query.to_owned(),
    }
}

/// [`redact_url`] for an already parsed URL.
pub(crate) fn redact_parsed(url: &Url) -> String {
    let mut shown = format!("{}://", url.scheme());
    if let Some(host) = url.host_str() {
        shown.push_str(host);
    }
    if let Some(port) = url.port() {
        shown.push(':');
        shown.push_str(&port.to_string());
    }
    shown.push_str(url.path());
    shown
}

/// At most `max` bytes of `bytes` as one line of text: invalid UTF-8 is
/// replaced, control characters become spaces, the cut falls on a character
/// boundary and is marked with `…`.
pub fn excerpt(bytes: &[u8], max: usize) -> String {
    let head = &bytes[..bytes.len().min(max.saturating_add(4))];
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(max.min(text.len()) + 3);
    let mut truncated = bytes.len() > head.len();
    for ch in text.chars() {
        if out.len() + ch.len_utf8() > max {
            truncated = true;
            break;
        }
        out.push(if ch.is_control() { ' ' } else { ch });
    }
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len);
    if truncated {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_fragment_and_user_info_are_dropped() {
        assert_eq!(
            redact_url("https://user:pw@storage.example/b/o.mp4?X-Goog-Signature=abc#frag"),
            "https://storage.example/b/o.mp4"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8080/x?sig=1"),
            "http://127.0.0.1:8080/x"
        );
        assert_eq!(redact_url("not a url?secret=1"), "not a url");
        assert_eq!(redact_url("weird://u:p@h/p?q"), "weird://h/p");
    }

    #[test]
    fn excerpt_is_bounded_single_line_and_char_safe() {
        let body = "é".repeat(600);
        let cut = excerpt(body.as_bytes(), 11);
        assert_eq!(cut, "ééééé…");
        assert_eq!(excerpt(b"line1\nline2\r\n", 512), "line1 line2");
        assert_eq!(excerpt(b"", 512), "");
        let long = vec![b'a'; 2000];
        let cut = excerpt(&long, BODY_EXCERPT_BYTES);
        assert!(cut.len() <= BODY_EXCERPT_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }
}
