//! Byte-exact SQL tokens, from `sqlparser`'s SQLite tokenizer.
//!
//! The tokenizer reports line/column positions; [`lex`] turns them into byte ranges so that
//! callers can cut the original text exactly (steps, DISTINCT removal) without re-printing it.

use sqlparser::dialect::SQLiteDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token, Tokenizer, Whitespace};

/// One token and the byte range of the source text it covers.
#[derive(Debug, Clone)]
pub(crate) struct Lexeme {
    pub token: Token,
    pub start: usize,
    pub end: usize,
}

impl Lexeme {
    /// True for whitespace and comments.
    pub fn is_trivia(&self) -> bool {
        matches!(self.token, Token::Whitespace(_))
    }

    /// True for a newline character.
    pub fn is_newline(&self) -> bool {
        matches!(self.token, Token::Whitespace(Whitespace::Newline))
    }

    /// True when the token is the unquoted keyword `keyword`.
    pub fn is_keyword(&self, keyword: Keyword) -> bool {
        matches!(&self.token, Token::Word(w) if w.quote_style.is_none() && w.keyword == keyword)
    }

    /// The token's source text.
    pub fn text<'s>(&self, sql: &'s str) -> &'s str {
        &sql[self.start..self.end]
    }
}

/// Tokenizes `sql`; the lexemes cover the text without gaps. `None` when the text does not
/// tokenize (an unterminated string or quoted identifier, for instance).
pub(crate) fn lex(sql: &str) -> Option<Vec<Lexeme>> {
    let dialect = SQLiteDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .ok()?;
    let mut cursor = Cursor::new(sql);
    let mut starts = Vec::with_capacity(tokens.len());
    let mut kept = Vec::with_capacity(tokens.len());
    for t in tokens {
        if t.token == Token::EOF {
            continue;
        }
        starts.push(cursor.seek(t.span.start)?);
        kept.push(t.token);
    }
    if starts.first().is_some_and(|&s| s != 0) || starts.windows(2).any(|w| w[0] > w[1]) {
        return None;
    }
    let ends = starts
        .iter()
        .skip(1)
        .copied()
        .chain(std::iter::once(sql.len()));
    Some(
        kept.into_iter()
            .zip(starts.iter().copied().zip(ends))
            .map(|(token, (start, end))| Lexeme { token, start, end })
            .collect(),
    )
}

/// Walks the text forward to translate (line, column) locations into byte offsets.
struct Cursor<'s> {
    sql: &'s str,
    byte: usize,
    line: u64,
    column: u64,
}

impl<'s> Cursor<'s> {
    fn new(sql: &'s str) -> Self {
        Self {
            sql,
            byte: 0,
            line: 1,
            column: 1,
        }
    }

    /// The byte offset of `loc`, which must not lie before the previous one.
    fn seek(&mut self, loc: Location) -> Option<usize> {
        while (self.line, self.column) < (loc.line, loc.column) {
            let c = self.sql[self.byte..].chars().next()?;
            self.byte += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        ((self.line, self.column) == (loc.line, loc.column)).then_some(self.byte)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexemes_cover_the_text_exactly() {
        let sql = "SELECT \"é\", 'a''b' -- ü\nFROM t WHERE x>=1;";
        let lexemes = lex(sql).unwrap();
        let joined: String = lexemes.iter().map(|l| l.text(sql)).collect();
        assert_eq!(joined, sql);
        assert!(lexemes[0].is_keyword(Keyword::SELECT));
        assert!(lexemes.iter().any(|l| l.text(sql) == "'a''b'"));
        assert!(lexemes.iter().any(|l| l.is_keyword(Keyword::FROM)));
    }

    #[test]
    fn broken_text_does_not_lex() {
        assert!(lex("SELECT 'abc").is_none());
    }
}
