//! Text-level SQL handling: extraction from completions, normalization, clause steps, and the
//! string rewrites test-suite-sql-eval applies before executing a query.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use super::lex::{lex, Lexeme};
use crate::extract::code_block;

/// The single SQL statement inside an LLM completion, terminated by `;`.
///
/// Accepts a bare continuation of the forced ```` ```sql ```` prefix (text up to a closing fence),
/// a full answer with a fenced block, or chatter around the query. The statement starts at the
/// first line that begins with `SELECT`/`WITH` and ends at the first `;` outside strings and
/// comments or at the first blank line, whichever comes first. Empty when nothing is left.
pub(crate) fn extract_statement(completion: &str) -> String {
    let region = match completion.find("```") {
        Some(fence) if starts_with_query(&completion[..fence]) => &completion[..fence],
        Some(_) => code_block(completion),
        None => completion,
    };
    let region = &region[query_start(region)..];
    let body = match lex(region) {
        Some(lexemes) => cut_statement(region, &lexemes),
        None => region.split("\n\n").next().unwrap_or_default().trim(),
    };
    if body.is_empty() {
        String::new()
    } else {
        format!("{body};")
    }
}

/// True when the first word of `text` is `SELECT` or `WITH` (any case).
fn starts_with_query(text: &str) -> bool {
    let first: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    first.eq_ignore_ascii_case("select") || first.eq_ignore_ascii_case("with")
}

/// Byte offset where the query begins: the first line starting with SELECT/WITH, else the
/// first upper-case `SELECT` word, else the first `select` word in any case, else 0.
fn query_start(text: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if starts_with_query(line) {
            return offset + (line.len() - line.trim_start().len());
        }
        offset += line.len();
    }
    find_word(text, "SELECT", false)
        .or_else(|| find_word(text, "select", true))
        .unwrap_or(0)
}

/// Byte offset of the first occurrence of `word` as a whole word.
fn find_word(text: &str, word: &str, ignore_case: bool) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let haystack = if ignore_case {
        text.to_ascii_lowercase()
    } else {
        text.to_string()
    };
    let mut from = 0;
    while let Some(i) = haystack[from..].find(word) {
        let at = from + i;
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + word.len()..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// The statement text up to the first `;` or blank line, without trailing whitespace/comments.
fn cut_statement<'s>(sql: &'s str, lexemes: &[Lexeme]) -> &'s str {
    let mut end = 0;
    let mut newlines = 0;
    for l in lexemes {
        match &l.token {
            Token::SemiColon => break,
            _ if l.is_newline() => {
                newlines += 1;
                if newlines >= 2 {
                    break;
                }
            }
            _ if l.is_trivia() => {}
            _ => {
                newlines = 0;
                end = l.end;
            }
        }
    }
    sql[..end].trim()
}

/// Keywords written in upper case by [`normalize`]; every other bare word is lower-cased.
const KEYWORDS: &[&str] = &[
    "select",
    "from",
    "where",
    "group",
    "by",
    "having",
    "order",
    "limit",
    "offset",
    "intersect",
    "union",
    "except",
    "all",
    "join",
    "on",
    "as",
    "inner",
    "left",
    "right",
    "outer",
    "cross",
    "natural",
    "using",
    "distinct",
    "not",
    "between",
    "in",
    "like",
    "glob",
    "is",
    "exists",
    "null",
    "max",
    "min",
    "count",
    "sum",
    "avg",
    "and",
    "or",
    "desc",
    "asc",
    "case",
    "when",
    "then",
    "else",
    "end",
    "cast",
    "with",
    "recursive",
    "escape",
    "collate",
];

/// Keywords that keep a space before a following `(`; other words are function names.
const SPACED_BEFORE_PAREN: &[&str] = &[
    "select",
    "from",
    "where",
    "having",
    "intersect",
    "union",
    "except",
    "all",
    "join",
    "on",
    "as",
    "using",
    "not",
    "between",
    "in",
    "like",
    "glob",
    "is",
    "exists",
    "and",
    "or",
    "case",
    "when",
    "then",
    "else",
    "with",
    "by",
    "distinct",
    "values",
];

/// A canonical form of a query for deduplication: tokens separated by single spaces (none
/// around `.`, inside parentheses, before `,` or between a function name and its `(`), bare
/// keywords upper-cased and other bare words lower-cased (SQLite identifiers are
/// case-insensitive), string literals and quoted identifiers untouched, one trailing `;`.
pub(crate) fn normalize(program: &str) -> String {
    let Some(lexemes) = lex(program) else {
        let collapsed = program.split_whitespace().collect::<Vec<_>>().join(" ");
        return format!("{};", collapsed.trim_end_matches(';').trim_end());
    };
    let mut tokens: Vec<(&Lexeme, String)> = lexemes
        .iter()
        .filter(|l| !l.is_trivia())
        .map(|l| (l, canonical_text(program, l)))
        .collect();
    while tokens
        .last()
        .is_some_and(|(l, _)| l.token == Token::SemiColon)
    {
        tokens.pop();
    }
    let mut out = String::with_capacity(program.len() + 1);
    for (i, (lexeme, text)) in tokens.iter().enumerate() {
        if i > 0 && needs_space(&tokens[i - 1], lexeme) {
            out.push(' ');
        }
        out.push_str(text);
    }
    out.push(';');
    out
}

/// The text a token contributes to the normalized form.
fn canonical_text(sql: &str, lexeme: &Lexeme) -> String {
    match &lexeme.token {
        Token::Word(w) if w.quote_style.is_none() => {
            if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&w.value)) {
                w.value.to_ascii_uppercase()
            } else {
                w.value.to_ascii_lowercase()
            }
        }
        _ => lexeme.text(sql).to_string(),
    }
}

/// Whether a space separates `prev` from `next` in the normalized form.
fn needs_space(prev: &(&Lexeme, String), next: &Lexeme) -> bool {
    match (&prev.0.token, &next.token) {
        (Token::LParen | Token::Period, _) => false,
        (_, Token::RParen | Token::Comma | Token::Period | Token::SemiColon) => false,
        (Token::Word(w), Token::LParen) if w.quote_style.is_none() => SPACED_BEFORE_PAREN
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&w.value)),
        _ => true,
    }
}

/// Where a SQL program is cut into tree-search steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SqlSteps {
    /// planbench: at top-level (outside parentheses) clause keywords only, a set operator
    /// and the SELECT after it forming one step, so a subquery stays inside its clause.
    #[default]
    TopLevel,
    /// The paper (`utils/inference_utils.py`, `segment_step`): at the next clause keyword at
    /// any depth, so the clauses of a subquery are steps of their own, and UNION, INTERSECT
    /// or EXCEPT and the SELECT after it are two steps. (The paper strips each step and joins
    /// steps with a space; planbench keeps the text between steps, so that the steps still
    /// concatenate to the program.)
    EveryClause,
}

planbench_core::named_enum!(SqlSteps, "SQL steps", {
    TopLevel => "top-level",
    EveryClause => "every-clause",
});

/// Splits `program` into clause steps: a step starts at each SELECT, FROM, WHERE, GROUP BY,
/// HAVING, ORDER BY, LIMIT, INTERSECT, UNION or EXCEPT keyword after the first token, at top
/// level or at any depth as `mode` says (see [`SqlSteps`]). Whitespace stays with the step
/// before it, so the steps concatenate to `program`. Text that does not tokenize is one step.
pub(crate) fn split_steps(program: &str, mode: SqlSteps) -> Vec<String> {
    if program.is_empty() {
        return Vec::new();
    }
    let Some(lexemes) = lex(program) else {
        return vec![program.to_string()];
    };
    let mut cuts = Vec::new();
    let mut depth = 0usize;
    let mut seen_token = false;
    let mut after_set_op = false;
    for (i, l) in lexemes.iter().enumerate() {
        if l.is_trivia() {
            continue;
        }
        match l.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        let cut = seen_token
            && starts_clause(&lexemes, i)
            && match mode {
                SqlSteps::TopLevel => {
                    depth == 0 && !(l.is_keyword(Keyword::SELECT) && after_set_op)
                }
                SqlSteps::EveryClause => true,
            };
        if cut {
            cuts.push(l.start);
        }
        if is_set_operator(l) && depth == 0 {
            after_set_op = true;
        } else if !(l.is_keyword(Keyword::ALL) || l.is_keyword(Keyword::DISTINCT)) {
            after_set_op = false;
        }
        seen_token = true;
    }
    let mut steps = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for cut in cuts {
        steps.push(program[from..cut].to_string());
        from = cut;
    }
    steps.push(program[from..].to_string());
    steps
}

fn is_set_operator(l: &Lexeme) -> bool {
    l.is_keyword(Keyword::UNION)
        || l.is_keyword(Keyword::INTERSECT)
        || l.is_keyword(Keyword::EXCEPT)
}

/// True when the lexeme at `i` opens a clause (GROUP and ORDER only when BY follows).
fn starts_clause(lexemes: &[Lexeme], i: usize) -> bool {
    let l = &lexemes[i];
    if l.is_keyword(Keyword::GROUP) || l.is_keyword(Keyword::ORDER) {
        return lexemes[i + 1..]
            .iter()
            .find(|n| !n.is_trivia())
            .is_some_and(|n| n.is_keyword(Keyword::BY));
    }
    [
        Keyword::SELECT,
        Keyword::FROM,
        Keyword::WHERE,
        Keyword::HAVING,
        Keyword::LIMIT,
        Keyword::INTERSECT,
        Keyword::UNION,
        Keyword::EXCEPT,
    ]
    .into_iter()
    .any(|k| l.is_keyword(k))
}

/// True when the program's last token (ignoring whitespace and comments) is `;`.
pub(crate) fn ends_statement(program: &str) -> bool {
    match lex(program) {
        Some(lexemes) => lexemes
            .iter()
            .rev()
            .find(|l| !l.is_trivia())
            .is_some_and(|l| l.token == Token::SemiColon),
        None => program.trim_end().ends_with(';'),
    }
}

/// test-suite-sql-eval's rewrites of a query before execution (default flags): `> =`, `< =`
/// and `! =` joined, DISTINCT tokens removed, `YEAR(CURDATE())` replaced by 2020.
pub(crate) fn test_suite_rewrite(sql: &str) -> String {
    let joined = sql
        .replace("> =", ">=")
        .replace("< =", "<=")
        .replace("! =", "!=");
    replace_cur_year(&remove_distinct(&joined))
}

/// Removes every bare `DISTINCT` token (any case), leaving the text around it untouched, as
/// test-suite-sql-eval's token-based `remove_distinct` does. Text that does not tokenize is
/// returned unchanged.
pub(crate) fn remove_distinct(sql: &str) -> String {
    let Some(lexemes) = lex(sql) else {
        return sql.to_string();
    };
    lexemes
        .iter()
        .filter(|l| !matches!(&l.token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("distinct")))
        .map(|l| l.text(sql))
        .collect()
}

/// Replaces `YEAR ( CURDATE ( ) )` plus following whitespace (case-insensitive, any
/// whitespace inside) by `2020`, like the reference's regular expression.
fn replace_cur_year(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while !rest.is_empty() {
        if let Some(len) = match_cur_year(rest) {
            out.push_str("2020");
            rest = &rest[len..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The byte length of a `YEAR(CURDATE())` match at the start of `text`.
fn match_cur_year(text: &str) -> Option<usize> {
    const PARTS: [&str; 6] = ["year", "(", "curdate", "(", ")", ")"];
    let mut at = 0;
    for (k, part) in PARTS.iter().enumerate() {
        if k > 0 {
            at = skip_whitespace(text, at);
        }
        let candidate = text.get(at..at + part.len())?;
        if !candidate.eq_ignore_ascii_case(part) {
            return None;
        }
        at += part.len();
    }
    Some(skip_whitespace(text, at))
}

fn skip_whitespace(text: &str, at: usize) -> usize {
    at + text[at..]
        .chars()
        .take_while(|c| c.is_whitespace())
        .map(char::len_utf8)
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_tokens_go_but_strings_and_identifiers_stay() {
        assert_eq!(
            remove_distinct("SELECT DISTINCT a, count(distinct b) FROM t WHERE c = 'distinct' AND \"distinct\" = 1 AND distinct_x = 2"),
            "SELECT  a, count( b) FROM t WHERE c = 'distinct' AND \"distinct\" = 1 AND distinct_x = 2"
        );
    }

    #[test]
    fn cur_year_and_operators_are_rewritten() {
        assert_eq!(
            test_suite_rewrite("SELECT a FROM t WHERE y > = year ( CurDate() )  AND z ! = 1"),
            "SELECT a FROM t WHERE y >= 2020AND z != 1"
        );
    }

    #[test]
    fn normalize_is_case_and_space_insensitive_but_keeps_strings() {
        let a = normalize("select  Name , COUNT (*) from T where x = 'Bob' ;");
        let b = normalize("SELECT name,count(*)\nFROM t WHERE x = 'Bob'");
        assert_eq!(a, b);
        assert_eq!(a, "SELECT name, COUNT(*) FROM t WHERE x = 'Bob';");
        assert_ne!(normalize("SELECT 'bob'"), normalize("SELECT 'Bob'"));
        assert_eq!(
            normalize("SELECT a FROM t WHERE b IN (SELECT c FROM u)"),
            "SELECT a FROM t WHERE b IN (SELECT c FROM u);"
        );
    }

    #[test]
    fn every_clause_steps_cut_subqueries_and_set_operators() {
        let sql = "SELECT a FROM t WHERE b IN (SELECT c FROM u) UNION ALL SELECT d FROM v;";
        assert_eq!(
            split_steps(sql, SqlSteps::TopLevel),
            [
                "SELECT a ",
                "FROM t ",
                "WHERE b IN (SELECT c FROM u) ",
                "UNION ALL SELECT d ",
                "FROM v;"
            ]
        );
        let every = split_steps(sql, SqlSteps::EveryClause);
        assert_eq!(
            every,
            [
                "SELECT a ",
                "FROM t ",
                "WHERE b IN (",
                "SELECT c ",
                "FROM u) ",
                "UNION ALL ",
                "SELECT d ",
                "FROM v;"
            ]
        );
        assert_eq!(every.concat(), sql);
        // GROUP BY and ORDER BY cut at GROUP and ORDER; a keyword in a string never cuts.
        assert_eq!(
            split_steps("SELECT 'from' FROM t GROUP BY x", SqlSteps::EveryClause),
            ["SELECT 'from' ", "FROM t ", "GROUP BY x"]
        );
    }

    #[test]
    fn statement_end_is_a_semicolon_token() {
        assert!(ends_statement("SELECT 1; -- done\n"));
        assert!(!ends_statement("SELECT ';'"));
        assert!(!ends_statement("SELECT a FROM t "));
    }
}
