//! Terminal-safe text: strings a server sent (rids, statuses, file names,
//! messages) are printed in human output with every control character
//! escaped, so an ESC sequence cannot repaint the screen and a newline or a
//! tab cannot forge a line or a column. `--json` output is exact instead
//! (serde escapes control characters itself).

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for characters that must not reach a terminal raw: C0 and C1
/// controls, DEL, and the bidirectional overrides that reorder text.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with control characters escaped (`\n`, `\t`, `\x1b`, `\u{202e}`).
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_plain_text_is_borrowed() {
        assert!(matches!(safe("walk.mp4"), Cow::Borrowed("walk.mp4")));
        assert_eq!(safe("a\u{1b}[2Jb\nc\td"), "a\\x1b[2Jb\\nc\\td");
        assert_eq!(safe("\u{9b}31m"), "\\x9b31m");
        assert_eq!(safe("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(safe("\u{7f}"), "\\x7f");
        assert_eq!(safe("é ü 日本"), "é ü 日本");
    }
}
