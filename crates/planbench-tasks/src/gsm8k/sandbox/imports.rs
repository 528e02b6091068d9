//! The import allowlist: a program may import the modules of its [`PythonImports`] and
//! nothing else.

use planbench_core::ExecError;
use ruff_python_ast::statement_visitor::{walk_stmt, StatementVisitor};
use ruff_python_ast::Stmt;

use super::dialect::PythonImports;

/// Refuses a program that imports anything outside `allowed`'s modules, anywhere in its body
/// (functions, branches, loops included). A program that does not parse passes: the interpreter
/// reports its syntax error.
pub fn check(program: &str, allowed: PythonImports) -> Result<(), ExecError> {
    let Ok(parsed) = ruff_python_parser::parse_module(program) else {
        return Ok(());
    };
    let mut finder = ImportFinder {
        allowed: allowed.modules(),
        refused: None,
    };
    finder.visit_body(&parsed.syntax().body);
    match finder.refused {
        None => Ok(()),
        Some(module) => Err(ExecError::Refused(format!(
            "import of `{module}` is not allowed (allowed: {})",
            allowed.modules().join(", ")
        ))),
    }
}

/// Finds the first import of a module that is not allowed.
struct ImportFinder {
    allowed: &'static [&'static str],
    refused: Option<String>,
}

impl ImportFinder {
    fn see(&mut self, module: &str) {
        if self.refused.is_none() && !self.allowed.contains(&module) {
            self.refused = Some(module.to_string());
        }
    }
}

impl<'a> StatementVisitor<'a> for ImportFinder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    self.see(alias.name.as_str());
                }
            }
            Stmt::ImportFrom(import) => {
                let module = import.module.as_ref().map_or("", |m| m.as_str());
                let dots = ".".repeat(import.level as usize);
                self.see(&format!("{dots}{module}"));
            }
            _ => walk_stmt(self, stmt),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_math(program: &str) -> Result<(), ExecError> {
        check(program, PythonImports::Math)
    }

    #[test]
    fn stdlib_allows_pure_modules_only() {
        let program = "import itertools\nfrom collections import Counter\nanswer = 1";
        assert!(check_math(program).is_err());
        assert!(check(program, PythonImports::Stdlib).is_ok());
        for refused in ["import os", "import sys", "import pathlib", "import numpy"] {
            assert!(check(refused, PythonImports::Stdlib).is_err(), "{refused}");
        }
    }

    #[test]
    fn only_math_is_importable() {
        assert!(check_math("import math\nfrom math import sqrt\nanswer = sqrt(4)").is_ok());
        assert!(check_math("import math as m").is_ok());
        for program in [
            "import os",
            "import math, re",
            "from os import path",
            "from . import math",
            "def f():\n    import subprocess\n",
            "try:\n    pass\nexcept Exception:\n    import sys\n",
            "import math.x",
        ] {
            let err = check_math(program).unwrap_err();
            assert!(
                err.to_string().contains("is not allowed"),
                "{program}: {err}"
            );
        }
        assert!(check_math("this is not python").is_ok());
    }
}
