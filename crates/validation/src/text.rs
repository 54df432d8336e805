//! Rules for text values: length, regular expression, hex colour, UUID and
//! file extension.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::{Regex, RegexBuilder};

use crate::error::{Rule, Violation};

/// Largest compiled size accepted for a caller-supplied regular expression.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How many compiled patterns [`pattern`] keeps before it starts over.
const REGEX_CACHE_CAPACITY: usize = 128;

/// Checks that `value` has between `min` and `max` characters, both inclusive.
///
/// Characters are Unicode scalar values (`value.chars().count()`), so `"é"`
/// written as `e` + U+0301 counts 2 while the precomposed U+00E9 counts 1.
/// `None` means no bound on that side.
///
/// # Errors
///
/// [`Rule::MinLength`] or [`Rule::MaxLength`] naming `field`.
pub fn char_length(
    field: &str,
    value: &str,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<(), Violation> {
    let count = value.chars().count();
    if let Some(min) = min
        && count < min
    {
        return Err(Violation::new(
            field,
            Rule::MinLength,
            value,
            format!("at least {min} {} (got {count})", characters(min)),
        ));
    }
    if let Some(max) = max
        && count > max
    {
        return Err(Violation::new(
            field,
            Rule::MaxLength,
            value,
            format!("at most {max} {} (got {count})", characters(max)),
        ));
    }
    Ok(())
}

fn characters(n: usize) -> &'static str {
    if n == 1 { "character" } else { "characters" }
}

/// Compiles `pattern` with the `regex` crate, or explains why it is invalid.
///
/// # Errors
///
/// [`Rule::InvalidPattern`] naming `field`, with the pattern as the value.
pub fn compile_pattern(field: &str, pattern: &str) -> Result<Regex, Violation> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|err| invalid_pattern(field, pattern, &err.to_string()))
}

fn invalid_pattern(field: &str, pattern: &str, reason: &str) -> Violation {
    // `regex` errors span several lines; the last one says what is wrong.
    let summary = reason.lines().last().unwrap_or(reason).trim();
    Violation::new(
        field,
        Rule::InvalidPattern,
        pattern,
        format!("a valid regular expression ({summary})"),
    )
}

fn cached_regex(pattern: &str) -> Result<Regex, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Result<Regex, String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = cache.get(pattern) {
        return found.clone();
    }
    let compiled = RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|err| err.to_string());
    if cache.len() >= REGEX_CACHE_CAPACITY {
        cache.clear();
    }
    cache.insert(pattern.to_owned(), compiled.clone());
    compiled
}

/// Checks that `value` matches the regular expression `pattern`.
///
/// The match is a search like JavaScript's `RegExp.test`: a pattern that must
/// cover the whole value says so with `^…$`, as MotionDynamic themes do
/// (`^[0-9\.]+$`). Patterns use the `regex` crate's syntax, which has no
/// look-around or back-references; such patterns are reported as invalid.
/// Compiled patterns are cached.
///
/// # Errors
///
/// [`Rule::Pattern`] when the value does not match, [`Rule::InvalidPattern`]
/// (with the pattern as the value) when the pattern does not compile.
pub fn pattern(field: &str, value: &str, pattern: &str) -> Result<(), Violation> {
    let regex = cached_regex(pattern).map_err(|err| invalid_pattern(field, pattern, &err))?;
    if regex.is_match(value) {
        Ok(())
    } else {
        Err(Violation::new(
            field,
            Rule::Pattern,
            value,
            format!("matches {pattern}"),
        ))
    }
}

/// Checks that `value` is a `RRGGBB` colour: exactly six hexadecimal digits,
/// either case, without a leading `#`.
///
/// # Errors
///
/// [`Rule::HexColor`] naming `field`.
pub fn hex_color(field: &str, value: &str) -> Result<(), Violation> {
    if value.len() == 6 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(Violation::new(
            field,
            Rule::HexColor,
            value,
            "6 hexadecimal digits RRGGBB without '#', for example 0000FF",
        ))
    }
}

/// Checks that `value` is a UUID in the 8-4-4-4-12 hexadecimal form, any
/// case, and returns it in lower case.
///
/// Braces, `urn:uuid:` prefixes and the 32-digit form without hyphens are
/// rejected: the APIs only use the hyphenated form.
///
/// # Errors
///
/// [`Rule::Uuid`] naming `field`.
pub fn uuid(field: &str, value: &str) -> Result<String, Violation> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut parts = value.split('-');
    let well_formed = GROUPS.iter().all(|&len| {
        parts
            .next()
            .is_some_and(|part| part.len() == len && part.bytes().all(|b| b.is_ascii_hexdigit()))
    }) && parts.next().is_none();
    if well_formed {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(Violation::new(
            field,
            Rule::Uuid,
            value,
            "a UUID like 8239de5c-5cbd-4e39-a102-220e5354a551",
        ))
    }
}

/// Longest identifier a server may hand the client (a rid, a model id, a
/// generation id), in bytes.
pub const MAX_SERVER_ID_BYTES: usize = 256;

/// Checks an identifier a server returned before the client stores it,
/// prints it or puts it in a URL: not empty, at most
/// [`MAX_SERVER_ID_BYTES`], no control or whitespace characters, and none
/// of the characters that would change a URL path or a rid list
/// (`/ \ ? # % ,`).
pub fn server_id(field: &str, value: &str) -> Result<(), Violation> {
    let problem = if value.is_empty() {
        Some((Rule::Required, "a non-empty identifier".to_owned()))
    } else if value.len() > MAX_SERVER_ID_BYTES {
        Some((
            Rule::MaxLength,
            format!("at most {MAX_SERVER_ID_BYTES} bytes"),
        ))
    } else if value
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "/\\?#%,".contains(c))
    {
        Some((
            Rule::Syntax,
            "no control, space or `/ \\ ? # % ,` characters".to_owned(),
        ))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some((rule, limit)) => {
            let shown: String = value.chars().take(64).collect();
            Err(Violation::new(field, rule, shown, limit))
        }
    }
}

/// True when two identifiers are equal ignoring ASCII case, so
/// `8239de5c-…-220e5354A551` equals `8239de5c-…-220e5354a551`.
pub fn uuid_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Splits the extension off a file name or URL: the text after the last `.`
/// of the last path segment, lower-cased.
///
/// URLs lose their query and fragment, and a URL without a path
/// (`https://example.com`) has no extension. Returns `None` when the last
/// segment has no `.`, nothing before it (`.png` is a hidden file without
/// extension) or nothing after it (`photo.`).
pub fn extension_of(name: &str) -> Option<String> {
    let mut path = name;
    if let Some((_, rest)) = path.split_once("://") {
        // Drop the authority; a URL without a path has no file name.
        path = rest.split_once('/').map_or("", |(_, p)| p);
        path = path.split(['?', '#']).next().unwrap_or("");
    }
    let segment = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let (stem, ext) = segment.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() {
        return None;
    }
    Some(ext.to_lowercase())
}

/// Checks that `name` (a file name or URL) has an extension from `allowed`,
/// compared case-insensitively, and returns that extension in lower case.
///
/// Entries of `allowed` may carry a leading dot (`".mp4"`). An empty
/// `allowed` accepts any extension but still requires one. See
/// [`extension_of`] for what counts as an extension.
///
/// # Errors
///
/// [`Rule::FileExtension`] naming `field`.
pub fn file_extension(field: &str, name: &str, allowed: &[&str]) -> Result<String, Violation> {
    let limit = || {
        if allowed.is_empty() {
            "a file name with an extension".to_owned()
        } else {
            let list: Vec<&str> = allowed.iter().map(|a| a.trim_start_matches('.')).collect();
            format!("a file name ending in one of: {}", list.join(", "))
        }
    };
    let Some(ext) = extension_of(name) else {
        return Err(Violation::new(field, Rule::FileExtension, name, limit()));
    };
    if allowed.is_empty()
        || allowed
            .iter()
            .any(|a| a.trim_start_matches('.').to_lowercase() == ext)
    {
        Ok(ext)
    } else {
        Err(Violation::new(field, Rule::FileExtension, name, limit()))
    }
}

/// Checks that `value` is an absolute `http://` or `https://` URL (scheme in
/// any case) with a host and without whitespace or control characters.
///
/// This is a syntax check only; whether the URL can be downloaded is for the
/// caller to find out.
///
/// # Errors
///
/// [`Rule::Syntax`] naming `field`.
pub fn http_url(field: &str, value: &str) -> Result<(), Violation> {
    let fail = || Violation::new(field, Rule::Syntax, value, "an http:// or https:// URL");
    let (scheme, rest) = value.split_once("://").ok_or_else(fail)?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return Err(fail());
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(fail());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host_port.starts_with('[') {
        // IPv6 literal: [::1]:8080
        host_port
            .split_once(']')
            .map_or("", |(h, _)| h.trim_start_matches('['))
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err(fail());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ids() {
        for good in ["0123456789ABCDEFGHJKMNPQRS", "r-1", "a.b_c~d", "é"] {
            assert!(server_id("rid", good).is_ok(), "{good}");
        }
        let long = "a".repeat(MAX_SERVER_ID_BYTES + 1);
        for bad in [
            "",
            long.as_str(),
            "a b",
            "a\u{1b}[2J",
            "a\nb",
            "a/b",
            "a,b",
            "a?b",
            "a#b",
            "a%2F",
        ] {
            assert!(server_id("rid", bad).is_err(), "{bad:?}");
        }
        assert_eq!(server_id("rid", "").unwrap_err().rule, Rule::Required);
        assert_eq!(server_id("rid", &long).unwrap_err().rule, Rule::MaxLength);
    }

    #[test]
    fn length_counts_scalar_values() {
        assert!(char_length("f", "e\u{301}", Some(2), Some(2)).is_ok());
        assert!(char_length("f", "\u{e9}", Some(1), Some(1)).is_ok());
        let err = char_length("f", "e\u{301}", None, Some(1)).unwrap_err();
        assert_eq!(err.rule, Rule::MaxLength);
        assert_eq!(err.field, "f");
        let err = char_length("l6_ville_01", "", Some(1), Some(12)).unwrap_err();
        assert_eq!(err.rule, Rule::MinLength);
        assert_eq!(err.limit, "at least 1 character (got 0)");
        assert!(char_length("l6_ville_01", "city_01", Some(1), Some(12)).is_ok());
        assert!(char_length("f", "anything", None, None).is_ok());
    }

    #[test]
    fn prix_pattern_from_the_doc() {
        let p = r"^[0-9\.]+$";
        assert!(pattern("l3_prix_01", "12.1", p).is_ok());
        let err = pattern("l3_prix_01", "12,1", p).unwrap_err();
        assert_eq!(err.field, "l3_prix_01");
        assert_eq!(err.rule, Rule::Pattern);
        assert_eq!(err.value, "12,1");
        assert!(pattern("l3_prix_01", "", p).is_err());
    }

    #[test]
    fn pattern_is_a_search_unless_anchored() {
        assert!(pattern("f", "abc123", "[0-9]").is_ok());
        assert!(pattern("f", "abc", "[0-9]").is_err());
    }

    #[test]
    fn invalid_pattern_names_the_pattern() {
        let err = pattern("f", "x", "([a-").unwrap_err();
        assert_eq!(err.rule, Rule::InvalidPattern);
        assert_eq!(err.value, "([a-");
        assert!(compile_pattern("f", "(?<=a)b").is_err());
        assert!(compile_pattern("f", "^a+$").is_ok());
    }

    #[test]
    fn hex_colors() {
        for ok in ["FF00FF", "0000ff", "aBcDeF", "000000"] {
            assert!(hex_color("background_color", ok).is_ok(), "{ok}");
        }
        for bad in [
            "#FF00FF",
            "FF00F",
            "FF00FF0",
            "GG0000",
            "",
            "ff00ff ",
            "ＦＦ00FF",
        ] {
            let err = hex_color("background_color", bad).unwrap_err();
            assert_eq!(err.rule, Rule::HexColor, "{bad}");
        }
    }

    #[test]
    fn uuids() {
        let id = "8239de5c-5cbd-4e39-a102-220e5354A551";
        assert_eq!(
            uuid("theme_id", id).unwrap(),
            "8239de5c-5cbd-4e39-a102-220e5354a551"
        );
        assert!(uuid_eq(id, "8239DE5C-5CBD-4E39-A102-220E5354A551"));
        assert!(!uuid_eq(id, "8239de5c-5cbd-4e39-a102-220e5354a552"));
        for bad in [
            "",
            "8239de5c5cbd4e39a102220e5354a551",
            "{8239de5c-5cbd-4e39-a102-220e5354a551}",
            "8239de5c-5cbd-4e39-a102-220e5354a55",
            "8239de5c-5cbd-4e39-a102-220e5354a5511",
            "8239de5c-5cbd-4e39-a102-220e5354a55g",
            "8239de5c-5cbd-4e39-a102-220e5354a551-",
        ] {
            assert_eq!(uuid("theme_id", bad).unwrap_err().rule, Rule::Uuid, "{bad}");
        }
    }

    #[test]
    fn extensions() {
        assert_eq!(
            file_extension("name", "test.mp4", &["mp4", "mov"]).unwrap(),
            "mp4"
        );
        assert_eq!(file_extension("name", "TEST.JPG", &["jpg"]).unwrap(), "jpg");
        assert_eq!(file_extension("name", "a.b.Mov", &[".MOV"]).unwrap(), "mov");
        assert_eq!(file_extension("name", "x.webm", &[]).unwrap(), "webm");
        for bad in ["test", ".mp4", "test.", "test.avi", ""] {
            let err = file_extension("name", bad, &["mp4"]).unwrap_err();
            assert_eq!(err.rule, Rule::FileExtension, "{bad}");
            assert_eq!(err.field, "name");
        }
        assert!(file_extension("name", "noext", &[]).is_err());
    }

    #[test]
    fn http_urls() {
        for ok in [
            "https://imgur.com/download/uNcCrzv",
            "HTTP://example.com",
            "http://user@host:8080/a?b#c",
            "http://[::1]:81/x",
        ] {
            assert!(http_url("image_produit", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "imgur.com/a.png",
            "ftp://example.com/a.png",
            "https://",
            "https:///path",
            "https://exa mple.com/",
            "https://:80/",
            "file:///etc/passwd",
        ] {
            let err = http_url("image_produit", bad).unwrap_err();
            assert_eq!(err.rule, Rule::Syntax, "{bad}");
        }
    }

    #[test]
    fn extension_of_urls() {
        assert_eq!(
            extension_of("https://example.com/a/b.PNG?x=1.jpg#f").as_deref(),
            Some("png")
        );
        assert_eq!(extension_of("https://imgur.com/download/uNcCrzv"), None);
        assert_eq!(extension_of("https://example.com"), None);
        assert_eq!(extension_of("https://example.com/"), None);
        assert_eq!(extension_of("dir.d/file"), None);
        assert_eq!(extension_of(r"C:\pics\a.jpeg").as_deref(), Some("jpeg"));
    }
}
