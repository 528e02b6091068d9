//! Program output shown in prompts: escaped so that it cannot start lines of its own, and cut
//! to a bounded length.

/// `text` cut to `max` characters, plus `...` when it was longer.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

/// `text` with line breaks and other control characters escaped (`\n`, `\r`, `\t`, `\x1b`,
/// `\u2028`); a backslash stays as it is.
pub(crate) fn escape(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let code = u32::from(c);
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Control characters and the Unicode line and paragraph separators.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_cuts() {
        assert_eq!(
            escape("a\nb\r\tc\u{1b}\u{2029}"),
            "a\\nb\\r\\tc\\x1b\\u2029"
        );
        assert_eq!(escape("plain \\n"), "plain \\n");
        assert_eq!(cut("héllo", 2), "hé...");
        assert_eq!(cut("hé", 2), "hé");
    }
}
