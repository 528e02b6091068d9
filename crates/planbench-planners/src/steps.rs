//! The one place that turns completions into programs and programs into search steps.

use planbench_core::Task;

/// The programs of one generation request: the distinct ones, and which of them each
/// completion gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sampled {
    /// The distinct non-empty programs, in sample order.
    pub programs: Vec<String>,
    /// For each completion, the index of its program in `programs` (`None`: empty).
    pub samples: Vec<Option<usize>>,
}

/// The programs of `completions`: the distinct non-empty ones in sample order, and for each
/// completion which of them it gave.
///
/// Each completion continues `answer_prefix` (the task's response prefix and any partial
/// program), so the program is extracted from the prefix and the completion together. Programs
/// are deduplicated by [`Task::normalize`]; the first spelling is kept.
pub(crate) fn sampled(task: &dyn Task, answer_prefix: &str, completions: &[String]) -> Sampled {
    let mut seen = std::collections::HashMap::new();
    let mut out = Sampled::default();
    for completion in completions {
        let program = task.extract_program(&format!("{answer_prefix}{completion}"));
        if program.trim().is_empty() {
            out.samples.push(None);
            continue;
        }
        let index = *seen.entry(task.normalize(&program)).or_insert_with(|| {
            out.programs.push(program);
            out.programs.len() - 1
        });
        out.samples.push(Some(index));
    }
    out
}

/// `partial` extended by the first new step of `program`: the shortest prefix of `program` made
/// of whole steps ([`Task::split_steps`]) that is longer than `partial`, trailing whitespace
/// trimmed. `None` when `program` does not extend `partial`.
pub(crate) fn extend_by_one_step(task: &dyn Task, partial: &str, program: &str) -> Option<String> {
    let base = partial.trim_end();
    if !program.starts_with(base) {
        return None;
    }
    let mut prefix = String::new();
    for step in task.split_steps(program) {
        prefix.push_str(&step);
        let candidate = prefix.trim_end();
        if candidate.len() > base.len() {
            return candidate.starts_with(base).then(|| candidate.to_string());
        }
    }
    None
}

/// The distinct one-step extensions of `partial` found in `programs`, in order of appearance,
/// each with the first program it came from.
pub(crate) fn next_steps(
    task: &dyn Task,
    partial: &str,
    programs: &[String],
) -> Vec<(String, String)> {
    let mut children: Vec<(String, String)> = Vec::new();
    for program in programs {
        if let Some(child) = extend_by_one_step(task, partial, program) {
            if children.iter().all(|(known, _)| *known != child) {
                children.push((child, program.clone()));
            }
        }
    }
    children
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::SumTask;

    #[test]
    fn programs_are_extracted_deduplicated_and_ordered() {
        let task = SumTask;
        let completions = [
            "1\n2\n=\n```".to_string(),
            " 1\n2\n= ".into(),
            "```".into(),
            "3\n=".into(),
        ];
        assert_eq!(
            sampled(&task, "```\n", &completions).programs,
            vec!["1\n2\n=".to_string(), "3\n=".to_string()]
        );
        assert_eq!(
            sampled(&task, "```\n", &completions).samples,
            [Some(0), Some(0), None, Some(1)]
        );
        // The partial program in the prefix is part of every program.
        assert_eq!(
            sampled(&task, "```\n4\n", &["5\n=".to_string()]).programs,
            vec!["4\n5\n=".to_string()]
        );
    }

    #[test]
    fn steps_extend_the_partial_program_by_one_step() {
        let task = SumTask;
        assert_eq!(
            extend_by_one_step(&task, "", "1\n2\n=").as_deref(),
            Some("1")
        );
        assert_eq!(
            extend_by_one_step(&task, "1", "1\n2\n=").as_deref(),
            Some("1\n2")
        );
        assert_eq!(
            extend_by_one_step(&task, "1\n2", "1\n2\n=").as_deref(),
            Some("1\n2\n=")
        );
        // Nothing new, or a program that does not continue the partial one.
        assert_eq!(extend_by_one_step(&task, "1\n2\n=", "1\n2\n="), None);
        assert_eq!(extend_by_one_step(&task, "7", "1\n2\n="), None);
        let programs = ["1\n2\n=".to_string(), "1\n2\n3\n=".into(), "4\n=".into()];
        assert_eq!(
            next_steps(&task, "", &programs),
            vec![
                ("1".to_string(), programs[0].clone()),
                ("4".into(), programs[2].clone())
            ]
        );
    }
}
