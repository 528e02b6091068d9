//! Pulling a program out of an LLM completion.

/// The body of the first fenced code block of `completion` (```` ```sql ````, ```` ```python ````
/// or bare ```` ``` ````); an unterminated block runs to the end. Without a fence, the whole
/// completion. The result is trimmed.
pub fn code_block(completion: &str) -> &str {
    let Some(open) = completion.find("```") else {
        return completion.trim();
    };
    let after = &completion[open + 3..];
    // Skip the language tag, which runs to the end of the fence line.
    let body = match after.find('\n') {
        Some(nl)
            if after[..nl]
                .trim()
                .chars()
                .all(|c| c.is_ascii_alphanumeric()) =>
        {
            &after[nl + 1..]
        }
        _ => after,
    };
    let end = body.find("```").unwrap_or(body.len());
    body[..end].trim()
}

#[cfg(test)]
mod tests {
    use super::code_block;

    #[test]
    fn takes_the_first_fenced_block() {
        assert_eq!(
            code_block("Here:\n```sql\nSELECT 1\n```\nmore ```x```"),
            "SELECT 1"
        );
        assert_eq!(code_block("```\nx = 1\nanswer = x"), "x = 1\nanswer = x");
        assert_eq!(code_block("  SELECT 2  "), "SELECT 2");
    }
}
