//! Chain-of-thought answers: reasoning that ends with a `#### <number>` line, read with
//! lm-evaluation-harness' strict GSM8K filter.

use std::time::Instant;

use planbench_core::{ExecError, Execution, Output, Value};

use super::number::{strict_answer, Number};

/// The reasoning in a completion: trimmed, and cut after the line that holds the first strict
/// `#### <number>` match (what follows is chatter).
pub fn extract(completion: &str) -> String {
    let text = completion.trim();
    let Some((_, end)) = strict_answer(text) else {
        return text.to_string();
    };
    let line_end = text[end..].find('\n').map_or(text.len(), |nl| end + nl);
    text[..line_end].trim_end().to_string()
}

/// True once the reasoning states its answer.
pub fn is_complete(text: &str) -> bool {
    strict_answer(text).is_some()
}

/// Whitespace runs collapsed to one space.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "Executes" reasoning: the answer is the first strict match with commas and a trailing period
/// removed (lm-evaluation-harness ignores `,` and a final `.` when it compares), as a number
/// when it is one and as text otherwise (`1.2.3`).
pub fn execute(text: &str) -> Execution {
    let started = Instant::now();
    let result = match strict_answer(text) {
        None => Err(ExecError::Failed(
            "no `#### <number>` answer line".to_string(),
        )),
        Some((raw, _)) => {
            let cleaned: String = raw.chars().filter(|&c| c != ',').collect();
            let cleaned = cleaned.strip_suffix('.').unwrap_or(&cleaned);
            Ok(Output::Answer(Number::parse(cleaned).map_or_else(
                || Value::Text(cleaned.to_string()),
                Number::to_value,
            )))
        }
    };
    Execution {
        result,
        seconds: started.elapsed().as_secs_f64(),
    }
}
