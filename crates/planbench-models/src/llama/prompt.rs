//! Prompts as the model reads them: chat template, tokens, answer tokens.

use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::token::LlamaToken;
use planbench_core::{GenError, Prompt};

/// Renders and tokenizes prompts for one model.
pub(super) struct Prompter<'m> {
    model: &'m LlamaModel,
    template: Option<LlamaChatTemplate>,
}

impl<'m> Prompter<'m> {
    /// A prompter using the model's own chat template, if it has one.
    pub(super) fn new(model: &'m LlamaModel) -> Self {
        Self {
            model,
            template: model.chat_template(None).ok(),
        }
    }

    /// The tokens of `prompt` (chat messages through the chat template) followed by
    /// `assistant_prefix`; never empty.
    pub(super) fn tokens(
        &self,
        prompt: &Prompt,
        assistant_prefix: &str,
    ) -> Result<Vec<LlamaToken>, GenError> {
        let mut text = self.render(prompt)?;
        text.push_str(assistant_prefix);
        let tokens = self.tokenize(&text);
        if tokens.is_empty() {
            return Err(GenError::InvalidRequest("empty prompt".into()));
        }
        Ok(tokens)
    }

    /// The first token of each answer, with and without a leading space.
    pub(super) fn answer_tokens(&self, answers: &[String]) -> Vec<Vec<LlamaToken>> {
        let vocab = self.model.vocab();
        answers
            .iter()
            .map(|answer| {
                let mut firsts: Vec<LlamaToken> = [answer.clone(), format!(" {answer}")]
                    .iter()
                    .filter_map(|a| vocab.tokenize(a.as_bytes(), false, false).first().copied())
                    .collect();
                firsts.dedup();
                firsts
            })
            .collect()
    }

    fn render(&self, prompt: &Prompt) -> Result<String, GenError> {
        match prompt {
            Prompt::Text(text) => Ok(text.clone()),
            Prompt::Chat(messages) => {
                let template = self.template.as_ref().ok_or_else(|| {
                    GenError::InvalidRequest(
                        "the model has no chat template; send a text prompt".into(),
                    )
                })?;
                let messages = messages
                    .iter()
                    .map(|m| {
                        LlamaChatMessage::new(m.role.as_str().into(), m.content.clone())
                            .map_err(|e| GenError::InvalidRequest(format!("chat message: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.model
                    .apply_chat_template(template, &messages, true)
                    .map_err(|e| GenError::Backend(format!("chat template: {e}")))
            }
        }
    }

    fn tokenize(&self, text: &str) -> Vec<LlamaToken> {
        let vocab = self.model.vocab();
        let mut tokens = Vec::new();
        if vocab.should_add_bos() {
            let bos = vocab.token_to_piece(vocab.bos(), true, None);
            if !text.as_bytes().starts_with(&bos) {
                tokens.push(vocab.bos());
            }
        }
        tokens.extend(vocab.tokenize(text.as_bytes(), false, true));
        tokens
    }
}
