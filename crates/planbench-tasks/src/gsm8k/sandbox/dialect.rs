//! Which Python the sandbox runs: planbench's (monty as is, `math` only) or as close to the
//! paper's `exec` under CPython 3.10 as monty allows.

use serde::{Deserialize, Serialize};

/// Which names the scopes nested in a program (functions, lambdas, comprehensions, classes)
/// see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PythonScope {
    /// planbench: the program runs as a module, so nested scopes see its top-level names.
    #[default]
    Shared,
    /// The paper: `exec(program, None, locals)` keeps top-level names out of nested scopes,
    /// which raise `NameError` when they read one (see `scope.rs` for what is not matched).
    ExecLocals,
}

planbench_core::named_enum!(PythonScope, "Python scope", {
    Shared => "shared",
    ExecLocals => "exec-locals",
});

/// Which modules a program may import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PythonImports {
    /// planbench: `math` only.
    #[default]
    Math,
    /// The pure-computation standard modules monty implements. The paper allows any import;
    /// modules monty does not implement (`numpy`, `sympy`, `fractions`, `statistics`,
    /// `decimal`...) still fail here, and `os`, `sys`, `pathlib` and `asyncio` stay refused.
    Stdlib,
}

planbench_core::named_enum!(PythonImports, "Python imports", {
    Math => "math",
    Stdlib => "stdlib",
});

impl PythonImports {
    /// The modules a program may import.
    pub fn modules(self) -> &'static [&'static str] {
        match self {
            PythonImports::Math => &["math"],
            PythonImports::Stdlib => &[
                "math",
                "re",
                "json",
                "datetime",
                "itertools",
                "functools",
                "collections",
                "dataclasses",
                "typing",
                "unicodedata",
                "base64",
                "binascii",
            ],
        }
    }
}

/// The Python a sandbox runs programs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct PythonDialect {
    pub scope: PythonScope,
    pub imports: PythonImports,
}
