//! Program-of-thought text: programs out of completions, steps, completeness and dedup keys.
//!
//! Everything here works on text only; programs are parsed and run in the sandbox workers.

use crate::extract::code_block;

/// The program in a completion.
///
/// Completions normally start inside the code block that the response prefix opened, so the
/// program runs up to the first fence (the closing one) and what follows is dropped. When the
/// completion starts with a fence of its own, or its first fence opens a tagged block
/// (```` ```python ````), the program is that block's body and the chatter around it is dropped.
/// Leading blank lines and trailing whitespace are removed; indentation is kept.
pub fn extract(completion: &str) -> String {
    let text = skip_blank_lines(completion);
    let program = match text.find("```") {
        None => text,
        Some(start) if text[..start].trim().is_empty() || opens_block(&text[start..]) => {
            code_block(&text[start..])
        }
        Some(end) => &text[..end],
    };
    skip_blank_lines(program).trim_end().to_string()
}

/// True when `fence` (text starting with ```` ``` ````) carries a language tag.
fn opens_block(fence: &str) -> bool {
    let tag = fence[3..].lines().next().unwrap_or("").trim();
    !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `text` without its leading whitespace-only lines.
fn skip_blank_lines(text: &str) -> &str {
    let mut rest = text;
    while let Some(newline) = rest.find('\n') {
        if !rest[..newline].trim().is_empty() {
            break;
        }
        rest = &rest[newline + 1..];
    }
    if rest.trim().is_empty() {
        ""
    } else {
        rest
    }
}

/// Splits a program into steps of one non-blank line each, as the paper's tree search does.
/// Every step keeps its newline; blank lines join the step that follows them (trailing ones the
/// last step), so the steps concatenate to the program.
pub fn split_steps(program: &str) -> Vec<String> {
    let mut steps = Vec::new();
    let mut pending = String::new();
    for line in program.split_inclusive('\n') {
        pending.push_str(line);
        if !line.trim().is_empty() {
            steps.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        match steps.last_mut() {
            Some(last) => last.push_str(&pending),
            None => steps.push(pending),
        }
    }
    steps
}

/// True when the program assigns `answer` at top level: a line without indentation of the form
/// `answer = ...` (or `answer: T = ...`) whose statement is finished by the end of the program
/// (its brackets are closed and it does not end in a line continuation).
///
/// This is the paper's MC-ToT test (`"answer =" in program`) made exact: the paper reads
/// `answer` from the namespace after `exec`, so only a top-level assignment of that very name
/// (not `final_answer = ...`, not one inside a function body) can produce the answer.
pub fn assigns_answer(program: &str) -> bool {
    let mut offset = 0;
    for line in program.split_inclusive('\n') {
        if is_answer_assignment(line) {
            let statement = program[offset..].trim_end();
            if bracket_depth(statement) <= 0 && !statement.ends_with('\\') {
                return true;
            }
        }
        offset += line.len();
    }
    false
}

/// True for `answer = ...`, `answer=...` and `answer: T = ...` at column 0.
fn is_answer_assignment(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("answer") else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    let rest = match rest.strip_prefix(':') {
        Some(annotated) => match annotated.find('=') {
            Some(eq) => &annotated[eq..],
            None => return false,
        },
        None => rest,
    };
    rest.starts_with('=') && !rest.starts_with("==")
}

/// Open brackets minus closed ones in `code`, outside string literals and comments (strings are
/// tracked line by line, which is enough for the short statements of program-of-thought).
fn bracket_depth(code: &str) -> i64 {
    let mut depth = 0;
    for line in code.lines() {
        let mut quote: Option<char> = None;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match (quote, c) {
                (Some(_), '\\') => {
                    chars.next();
                }
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '#') => break,
                (None, '(' | '[' | '{') => depth += 1,
                (None, ')' | ']' | '}') => depth -= 1,
                (None, _) => {}
            }
        }
    }
    depth
}

/// A canonical form for deduplication: comments, blank lines and insignificant spaces removed
/// (indentation and the spaces that separate two words are kept).
pub fn normalize(program: &str) -> String {
    let mut lines = Vec::new();
    for line in program.lines() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let squeezed = squeeze_line(body);
        if !squeezed.is_empty() {
            lines.push(format!("{indent}{squeezed}"));
        }
    }
    lines.join("\n")
}

/// One line without its comment and without spaces outside strings, except single spaces
/// between two word characters.
fn squeeze_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                out.extend(chars.next());
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '#' => break,
            c if c.is_whitespace() => pending_space = true,
            c => {
                let word = |ch: char| ch.is_alphanumeric() || ch == '_';
                if pending_space && out.chars().next_back().is_some_and(word) && word(c) {
                    out.push(' ');
                }
                pending_space = false;
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_programs_from_completions() {
        // Inside the block the response prefix opened.
        assert_eq!(
            extract("x = 1\nanswer = x\n```\nThis works."),
            "x = 1\nanswer = x"
        );
        // A block of its own, with chatter around it.
        assert_eq!(
            extract("Sure! Here it is:\n```python\nanswer = 2\n```\nDone."),
            "answer = 2"
        );
        assert_eq!(extract("```py\nanswer = 3\n"), "answer = 3");
        // No fence at all; indentation survives.
        assert_eq!(
            extract("\n\ndef f():\n    return 4\nanswer = f()\n\n"),
            "def f():\n    return 4\nanswer = f()"
        );
        assert_eq!(extract("  \n"), "");
    }

    #[test]
    fn steps_are_lines_and_concatenate_to_the_program() {
        let program = "a = 1\n\nb = 2\nfor i in range(3):\n    b += i\nanswer = b\n\n";
        let steps = split_steps(program);
        assert_eq!(
            steps,
            [
                "a = 1\n",
                "\nb = 2\n",
                "for i in range(3):\n",
                "    b += i\n",
                "answer = b\n\n"
            ]
        );
        assert_eq!(steps.concat(), program);
        assert_eq!(split_steps("x = 1"), ["x = 1"]);
        assert!(split_steps("").is_empty());
        assert_eq!(split_steps("\n\n"), ["\n\n"]);
    }

    #[test]
    fn completeness_needs_a_finished_top_level_answer() {
        assert!(assigns_answer("x = 2\nanswer = x * 3\n"));
        assert!(assigns_answer("answer=5"));
        assert!(assigns_answer("answer: float = 2.5"));
        assert!(assigns_answer("answer = round(\n    2.5)\n"));
        assert!(!assigns_answer("answer = round(\n    2.5"));
        assert!(!assigns_answer("answer = 1 + \\"));
        assert!(!assigns_answer("final_answer = 3"));
        assert!(!assigns_answer("answers = 3"));
        assert!(!assigns_answer("answer == 3"));
        assert!(!assigns_answer("def f():\n    answer = 3\n"));
        assert!(!assigns_answer("x = 1\n# answer = x\n"));
        assert!(assigns_answer("answer = f\"{x})\"\n"));
    }

    #[test]
    fn normalization_ignores_spacing_and_comments() {
        let a = "x=1  # one\n\n\nif x:\n    answer = x+1\n";
        let b = "# start\nx = 1\nif x :\n    answer = x + 1";
        assert_eq!(normalize(a), normalize(b));
        assert_eq!(normalize(a), "x=1\nif x:\n    answer=x+1");
        assert_ne!(normalize("s = 'a  b'"), normalize("s = 'a b'"));
        assert_eq!(normalize("return  x # '"), "return x");
    }
}
