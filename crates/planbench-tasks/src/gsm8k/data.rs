//! Reading GSM8K's `<split>.jsonl` files.

use std::path::Path;

use planbench_core::{Example, TaskError};
use serde_json::{Map, Value};

use super::number::Number;

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
        let record = match serde_json::from_str(line) {
            Ok(Value::Object(record)) => record,
            Ok(_) => return Err(parse_error("not a GSM8K record: not a JSON object".into())),
            Err(e) => return Err(parse_error(format!("not a GSM8K record: {e}"))),
        };
        let question = text_field(&record, "question").map_err(parse_error)?;
        let answer = text_field(&record, "answer").map_err(parse_error)?;
        let gold = gold_answer(answer).map_err(parse_error)?;
        let index = examples.len();
        examples.push(Example {
            id: format!("{split}/{index}"),
            index,
            question: question.to_string(),
            gold,
            db_id: None,
        });
    }
    Ok(examples)
}

/// The string field `name` of a record.
fn text_field<'a>(record: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    match record.get(name) {
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(format!("field `{name}` is not a string: {other}")),
        None => Err(format!("missing field `{name}`")),
    }
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
