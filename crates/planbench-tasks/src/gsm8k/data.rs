//! Reading GSM8K's `<split>.jsonl` files.

use std::path::Path;

use planbench_core::{Example, TaskError};
use serde::Deserialize;

use super::number::Number;

/// One line of a GSM8K file.
#[derive(Deserialize)]
struct Record {
    question: String,
    answer: String,
}

/// Reads every example of `path`; ids are `<split>/<index>` and `gold` is the number after the
/// last `#### ` of `answer`, without commas.
pub fn load(path: &Path, split: &str) -> Result<Vec<Example>, TaskError> {
    let text = std::fs::read_to_string(path).map_err(|source| TaskError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut examples = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parse_error = |message: String| TaskError::Parse {
            path: path.to_path_buf(),
            line: number + 1,
            message,
        };
        let record: Record = serde_json::from_str(line)
            .map_err(|e| parse_error(format!("not a GSM8K record: {e}")))?;
        let gold = gold_answer(&record.answer).map_err(parse_error)?;
        let index = examples.len();
        examples.push(Example {
            id: format!("{split}/{index}"),
            index,
            question: record.question,
            gold,
            db_id: None,
        });
    }
    Ok(examples)
}

/// The final answer of a reference solution.
fn gold_answer(solution: &str) -> Result<String, String> {
    let (_, tail) = solution
        .rsplit_once("#### ")
        .ok_or("field `answer` has no `#### <number>` final answer")?;
    let gold: String = tail.trim().chars().filter(|&c| c != ',').collect();
    match Number::parse(&gold) {
        Some(_) => Ok(gold),
        None => Err(format!(
            "field `answer`: the final answer `{}` is not a number",
            tail.trim()
        )),
    }
}
