//! Switches shared by both tasks between the paper's protocol and planbench's.

/// What a failed execution looks like in judge and correction prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ErrorText {
    /// planbench: `ERROR: <message>` (the message escaped and cut).
    #[default]
    Message,
    /// The paper: `ERROR` alone (its evaluators replace the result of a query or program that
    /// raised by that word).
    Bare,
}

planbench_core::named_enum!(ErrorText, "error text", { Message => "message", Bare => "bare" });

impl ErrorText {
    /// The text shown for a failure whose message is `message` (already escaped and cut).
    pub(crate) fn show(self, message: &str) -> String {
        match self {
            ErrorText::Message => format!("ERROR: {message}"),
            ErrorText::Bare => "ERROR".to_string(),
        }
    }
}

/// What a correction prompt shows besides the question and the program to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CorrectionFeedback {
    /// planbench: the program's execution result (or its error).
    #[default]
    Execution,
    /// The paper (`TEMPLATE_CORR`, `GSM8K_ITER_CORR`): nothing; the question (and schema) and
    /// the buggy program only.
    None,
}

planbench_core::named_enum!(CorrectionFeedback, "correction feedback", {
    Execution => "execution",
    None => "none",
});
