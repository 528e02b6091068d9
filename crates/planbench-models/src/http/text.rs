//! Cleaning of returned completion text.

/// Returns the continuation in `text`: without a leading echo of `prefix` (llama-server
/// returns a prefilled assistant message whole), and cut before the first `stop` string
/// (in case the server ignored or capped the stop list).
pub(crate) fn continuation(text: String, prefix: &str, stop: &[String]) -> String {
    let mut text = match text.strip_prefix(prefix) {
        Some(rest) if !prefix.is_empty() => rest.to_owned(),
        _ => text,
    };
    if let Some(cut) = stop
        .iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| text.find(s.as_str()))
        .min()
    {
        text.truncate(cut);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_an_echoed_prefix_only() {
        assert_eq!(
            continuation("SELECT a FROM t".into(), "SELECT a", &[]),
            " FROM t"
        );
        assert_eq!(continuation(" FROM t".into(), "SELECT a", &[]), " FROM t");
        assert_eq!(continuation("abc".into(), "", &[]), "abc");
    }

    #[test]
    fn cuts_at_the_earliest_stop() {
        let stop = vec![";".to_string(), "\n\n".to_string(), String::new()];
        assert_eq!(continuation("x\n\ny;z".into(), "", &stop), "x");
        assert_eq!(continuation("x;\n\n".into(), "", &stop), "x");
        assert_eq!(continuation("xyz".into(), "", &stop), "xyz");
    }
}
