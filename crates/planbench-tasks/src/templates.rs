//! Prompt templates stored as data in `tasks/<task>.toml`.
//!
//! A template file is a TOML table of named strings. Placeholders are written `{{name}}` so that
//! the braces of SQL or Python inside a template need no escaping.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use planbench_core::{ChatMessage, Prompt, Role, TaskError};

/// The named templates of one task.
#[derive(Debug, Clone)]
pub struct Templates {
    source: PathBuf,
    entries: BTreeMap<String, String>,
    /// The text of every file parsed into these templates, in order (what the prompt-template
    /// digest covers).
    text: String,
}

impl Templates {
    /// Parses template text; `source` names it in errors.
    pub fn parse(source: &Path, text: &str) -> Result<Self, TaskError> {
        Ok(Self {
            source: source.to_path_buf(),
            entries: Self::entries(source, text)?,
            text: text.to_string(),
        })
    }

    /// Adds the templates of a second file; a name both files define is an error.
    pub fn extend(&mut self, source: &Path, text: &str) -> Result<(), TaskError> {
        let added = Self::entries(source, text)?;
        if let Some(name) = added.keys().find(|name| self.entries.contains_key(*name)) {
            return Err(TaskError::Invalid(format!(
                "{}: template `{name}` is already defined in {}",
                source.display(),
                self.source.display()
            )));
        }
        self.entries.extend(added);
        self.text.push('\n');
        self.text.push_str(text);
        Ok(())
    }

    /// The text of the files these templates come from, one after the other.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn entries(source: &Path, text: &str) -> Result<BTreeMap<String, String>, TaskError> {
        let entries: BTreeMap<String, String> =
            toml::from_str(text).map_err(|e: toml::de::Error| {
                let line = e
                    .span()
                    .map(|s| text[..s.start].matches('\n').count() + 1)
                    .unwrap_or(0);
                TaskError::Parse {
                    path: source.to_path_buf(),
                    line,
                    message: e.message().to_string(),
                }
            })?;
        Ok(entries)
    }

    /// Reads and parses a template file.
    pub fn load(path: &Path) -> Result<Self, TaskError> {
        let text = std::fs::read_to_string(path).map_err(|source| TaskError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// The raw template `name`.
    pub fn get(&self, name: &str) -> Result<&str, TaskError> {
        self.entries.get(name).map(String::as_str).ok_or_else(|| {
            TaskError::Invalid(format!(
                "{}: no template named `{name}`",
                self.source.display()
            ))
        })
    }

    /// A chat prompt of one user message, after the file's `system` template when it has one.
    ///
    /// An explicit system message makes every backend render the same text: without one,
    /// some servers' chat templates insert a default system prompt (Qwen's does) and llama.cpp's
    /// built-in templates do not.
    pub fn chat(&self, user: String) -> Prompt {
        let mut messages = Vec::with_capacity(2);
        if let Some(system) = self.entries.get("system") {
            messages.push(ChatMessage::new(Role::System, system.clone()));
        }
        messages.push(ChatMessage::new(Role::User, user));
        Prompt::Chat(messages)
    }

    /// Renders template `name`, replacing each `{{key}}` by its value. A placeholder without a
    /// value is an error naming the template and the key.
    pub fn render(&self, name: &str, values: &[(&str, &str)]) -> Result<String, TaskError> {
        let template = self.get(name)?;
        let mut out = String::with_capacity(template.len() + 256);
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| {
                TaskError::Invalid(format!(
                    "{}: template `{name}` has an unclosed `{{{{`",
                    self.source.display()
                ))
            })?;
            let key = after[..end].trim();
            let value = values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    TaskError::Invalid(format!(
                        "{}: template `{name}` needs a value for `{key}`",
                        self.source.display()
                    ))
                })?;
            out.push_str(value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders_and_keeps_single_braces() {
        let t = Templates::parse(
            Path::new("t.toml"),
            "greet = \"Hi {{ name }}: {'a': 1} {{name}}\"\n",
        )
        .unwrap();
        assert_eq!(
            t.render("greet", &[("name", "Bo")]).unwrap(),
            "Hi Bo: {'a': 1} Bo"
        );
    }

    #[test]
    fn chat_prompts_start_with_the_system_template_when_there_is_one() {
        let with = Templates::parse(Path::new("t.toml"), "system = \"Be brief.\"\n").unwrap();
        let Prompt::Chat(messages) = with.chat("Hi".into()) else {
            panic!("a chat prompt")
        };
        assert_eq!(messages[0], ChatMessage::new(Role::System, "Be brief."));
        assert_eq!(messages[1], ChatMessage::new(Role::User, "Hi"));
        let without = Templates::parse(Path::new("t.toml"), "a = \"x\"\n").unwrap();
        assert_eq!(
            without.chat("Hi".into()),
            Prompt::Chat(vec![ChatMessage::new(Role::User, "Hi")])
        );
    }

    #[test]
    fn extending_adds_names_and_text_and_refuses_twins() {
        let mut t = Templates::parse(Path::new("a.toml"), "a = \"x\"\n").unwrap();
        t.extend(Path::new("b.toml"), "b = \"y\"\n").unwrap();
        assert_eq!(t.render("b", &[]).unwrap(), "y");
        assert_eq!(t.text(), "a = \"x\"\n\nb = \"y\"\n");
        let err = t.extend(Path::new("c.toml"), "a = \"z\"\n").unwrap_err();
        assert!(err.to_string().contains("`a` is already defined"), "{err}");
    }

    #[test]
    fn missing_values_and_templates_are_clear_errors() {
        let t = Templates::parse(Path::new("t.toml"), "a = \"{{x}}\"\n").unwrap();
        assert!(t.render("a", &[]).unwrap_err().to_string().contains("`x`"));
        assert!(t.render("b", &[]).unwrap_err().to_string().contains("`b`"));
        let err = Templates::parse(Path::new("bad.toml"), "a = \n").unwrap_err();
        assert!(err.to_string().starts_with("bad.toml:1:"), "{err}");
    }
}
