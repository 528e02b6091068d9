//! A check before `prepare`: statements whose common table expressions expand exponentially.
//!
//! SQLite copies a CTE's body into each place that references it while it prepares a
//! statement, and that work happens inside single calls that no interrupt reaches. A chain of
//! CTEs that each reference the previous one twice doubles the work per link: thirty links
//! take hours. This module estimates the expansion from the text alone and refuses statements
//! above [`MAX_EXPANSION`] copies. The estimate errs on the high side (a name inside a string
//! counts as a reference), which costs nothing for real queries: Spider's gold queries expand
//! no CTE more than a few times.

use std::collections::HashMap;

/// Most CTE bodies a statement may expand to in total.
pub(crate) const MAX_EXPANSION: u64 = 2048;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier or keyword, lower-cased, quotes removed.
    Word(String),
    Open,
    Close,
    Other,
}

/// A crude SQLite tokenizer that never fails: words (bare, `"quoted"`, `[bracketed]`,
/// `` `backticked` ``), parentheses, and everything else as `Other`. String literals and
/// comments produce nothing (a literal's text cannot reference a CTE).
fn tokens(sql: &str) -> Vec<Tok> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let until = |from: usize, end: char| -> (String, usize) {
        let mut s = String::new();
        let mut j = from;
        while j < chars.len() {
            if chars[j] == end {
                // A doubled closing quote is an escaped one.
                if chars.get(j + 1) == Some(&end) && end != ']' {
                    s.push(end);
                    j += 2;
                    continue;
                }
                return (s, j + 1);
            }
            s.push(chars[j]);
            j += 1;
        }
        (s, j)
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' => i = until(i + 1, '\'').1,
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            '"' | '`' | '[' => {
                let end = if c == '[' { ']' } else { c };
                let (word, next) = until(i + 1, end);
                out.push(Tok::Word(word.to_lowercase()));
                i = next;
            }
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || "_$".contains(chars[i])) {
                    i += 1;
                }
                out.push(Tok::Word(
                    chars[start..i].iter().collect::<String>().to_lowercase(),
                ));
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                out.push(Tok::Other);
                i += 1;
            }
        }
    }
    out
}

/// The index of the `)` closing the `(` at `open` (or the end).
fn closing(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

fn is_word(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok::Word(x)) if x == w)
}

/// A definition `name [(columns)] AS [NOT] [MATERIALIZED] (body)`: name and body range.
struct Definition {
    name: String,
    /// Position of the name token (which is no reference).
    at: usize,
    body: std::ops::Range<usize>,
}

/// Every CTE-like definition in the statement (window definitions `w AS (...)` included).
fn definitions(toks: &[Tok]) -> Vec<Definition> {
    let mut defs = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Word(name) = t else { continue };
        let mut j = i + 1;
        if toks.get(j) == Some(&Tok::Open) {
            j = closing(toks, j) + 1;
        }
        if !is_word(toks.get(j), "as") {
            continue;
        }
        j += 1;
        if is_word(toks.get(j), "not") {
            j += 1;
        }
        if is_word(toks.get(j), "materialized") {
            j += 1;
        }
        if toks.get(j) == Some(&Tok::Open) {
            let end = closing(toks, j);
            defs.push(Definition {
                name: name.clone(),
                at: i,
                body: j + 1..end,
            });
        }
    }
    defs
}

/// An upper estimate of how many CTE bodies preparing `sql` copies.
///
/// Each definition weighs one plus the weights of the definitions its own text references
/// (text of definitions nested in it belongs to those); the statement weighs what its text
/// outside every definition references. A reference of a definition to its own name
/// (recursion) adds nothing.
pub(crate) fn expansion(sql: &str) -> u64 {
    let toks = tokens(sql);
    let defs = definitions(&toks);
    // Bodies nest like the parentheses around them: one sweep finds each token's innermost
    // definition.
    let mut by_start: Vec<usize> = (0..defs.len()).collect();
    by_start.sort_by_key(|&d| defs[d].body.start);
    let mut direct: Vec<Vec<usize>> = vec![Vec::new(); defs.len()];
    let mut top = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0;
    let names: std::collections::HashSet<usize> = defs.iter().map(|d| d.at).collect();
    for k in 0..toks.len() {
        if names.contains(&k) {
            continue;
        }
        while stack.last().is_some_and(|&d| defs[d].body.end <= k) {
            stack.pop();
        }
        while next < by_start.len() && defs[by_start[next]].body.start <= k {
            let d = by_start[next];
            next += 1;
            if defs[d].body.end > k {
                stack.push(d);
            }
        }
        match stack.last() {
            Some(&d) => direct[d].push(k),
            None => top.push(k),
        }
    }
    let mut by_end: Vec<usize> = (0..defs.len()).collect();
    by_end.sort_by_key(|&d| defs[d].body.end);
    let mut weight: HashMap<&str, u64> = HashMap::new();
    let refs = |positions: &[usize], own: Option<&str>, weight: &HashMap<&str, u64>| {
        positions
            .iter()
            .filter_map(|&k| match &toks[k] {
                Tok::Word(w) if Some(w.as_str()) != own => weight.get(w.as_str()).copied(),
                _ => None,
            })
            .fold(0u64, u64::saturating_add)
    };
    for d in by_end {
        let name = defs[d].name.as_str();
        let own = 1u64.saturating_add(refs(&direct[d], Some(name), &weight));
        let entry = weight.entry(name).or_insert(0);
        *entry = (*entry).max(own);
    }
    refs(&top, None, &weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(links: usize, refs: usize) -> String {
        let mut parts = vec!["c0(v) AS (SELECT 1)".to_string()];
        for i in 1..links {
            let uses: Vec<String> = (0..refs)
                .map(|_| format!("(SELECT v FROM c{})", i - 1))
                .collect();
            parts.push(format!("c{i}(v) AS (SELECT {})", uses.join(" + ")));
        }
        format!("WITH {} SELECT v FROM c{}", parts.join(", "), links - 1)
    }

    #[test]
    fn doubling_chains_are_exponential_and_linear_ones_are_not() {
        assert_eq!(expansion(&chain(10, 1)), 10);
        assert_eq!(expansion(&chain(5, 2)), 31);
        assert!(expansion(&chain(30, 2)) > MAX_EXPANSION);
        assert!(expansion(&chain(100, 3)) > MAX_EXPANSION);
        assert_eq!(expansion("SELECT name FROM singer WHERE age > 20"), 0);
        let recursive =
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 9) \
                         SELECT count(*) FROM r";
        assert_eq!(expansion(recursive), 1);
        // Quoted names count, literals and comments do not.
        assert_eq!(
            expansion("WITH \"A\" AS (SELECT 1) SELECT * FROM [a], `a`"),
            2
        );
        assert_eq!(
            expansion("WITH a AS (SELECT 1) SELECT 'a a a' -- a a\n FROM a"),
            1
        );
        // Unterminated text never panics.
        for sql in [
            "WITH a AS (",
            "SELECT 'x",
            "SELECT /* x",
            "[a",
            "a AS",
            "((((",
        ] {
            let _ = expansion(sql);
        }
    }
}
