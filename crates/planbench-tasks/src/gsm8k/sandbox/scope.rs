//! The paper's namespaces in monty: `exec(program, None, locals)` under CPython 3.10.
//!
//! With separate globals and locals, the program's top-level names live in `locals`, and the
//! scopes nested in it (function and lambda bodies, comprehensions, generator expressions,
//! class bodies) look names that they do not bind up in the globals (the paper's
//! `utils/exec_py.py` module) and the builtins, never in `locals`. So
//! `rate = 3; answer = sum(rate * x for x in [1, 2])` raises `NameError: name 'rate' is not
//! defined` there, while monty, which runs the program as a module, computes 9.
//!
//! [`isolate_top_level`] rewrites each such read in a nested scope to a name no program binds
//! ([`UNBOUND_PREFIX`] + the name), so that monty raises the `NameError` when, and only when,
//! CPython would: when that code runs. [`restore_names`] puts the original name back in the
//! message.
//!
//! What this does not reproduce (rare in program-of-thought):
//! * a nested read of a name that the program binds at top level *and* that is a builtin
//!   (`sum = 0; f = lambda: sum`): CPython finds the builtin, monty the program's value;
//! * names a function declares `global`: CPython stores them in `exec_py`'s module globals,
//!   which top-level reads see only when the top level did not bind the name itself; here every
//!   name declared `global` anywhere is left alone, so the module's value is read;
//! * names bound by `match` patterns and by an assignment expression inside a comprehension
//!   at top level, which are treated as bound in the scope where they appear.

use std::collections::HashSet;

use ruff_python_ast::visitor::{walk_except_handler, walk_expr, walk_stmt, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};

/// Prefix of the names that stand for a top-level name read from a nested scope.
pub const UNBOUND_PREFIX: &str = "planbench_unbound_";

/// CPython 3.10's builtins (`dir(builtins)`), which every scope can read, and the other
/// globals of the paper's `utils/exec_py.py` module.
const GLOBALS: &str =
    "ArithmeticError AssertionError AttributeError BaseException BlockingIOError \
    BrokenPipeError BufferError BytesWarning ChildProcessError ConnectionAbortedError \
    ConnectionError ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError \
    Ellipsis EncodingWarning EnvironmentError Exception False FileExistsError \
    FileNotFoundError FloatingPointError FutureWarning GeneratorExit IOError ImportError \
    ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError \
    KeyboardInterrupt LookupError MemoryError ModuleNotFoundError NameError None \
    NotADirectoryError NotImplemented NotImplementedError OSError OverflowError \
    PendingDeprecationWarning PermissionError ProcessLookupError RecursionError \
    ReferenceError ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration \
    StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError \
    True TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError \
    UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning ZeroDivisionError \
    __build_class__ __debug__ __doc__ __import__ __loader__ __name__ __package__ __spec__ \
    abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr \
    classmethod compile complex copyright credits delattr dict dir divmod enumerate eval \
    exec exit filter float format frozenset getattr globals hasattr hash help hex id input \
    int isinstance issubclass iter len license list locals map max memoryview min next \
    object oct open ord pow print property quit range repr reversed round set setattr slice \
    sorted staticmethod str sum super tuple type vars zip \
    __builtins__ __cached__ __file__ exec_py func_timeout";

/// `program` with every read that CPython would resolve in the paper's globals, and that is
/// none of [`GLOBALS`], renamed to [`UNBOUND_PREFIX`] + the name. A
/// program that does not parse is returned as it is (monty reports its syntax error).
pub fn isolate_top_level(program: &str) -> String {
    let Ok(parsed) = ruff_python_parser::parse_module(program) else {
        return program.to_string();
    };
    let mut scopes = Scopes::default();
    scopes.visit_body(&parsed.syntax().body);
    let mut unbound: Vec<(usize, usize)> = scopes
        .loads
        .iter()
        .filter(|load| scopes.reads_missing_global(load))
        .map(|load| (load.start, load.end))
        .collect();
    unbound.sort_unstable();
    let mut out = String::with_capacity(program.len() + unbound.len() * UNBOUND_PREFIX.len());
    let mut from = 0;
    for (start, end) in unbound {
        out.push_str(&program[from..start]);
        out.push_str(UNBOUND_PREFIX);
        out.push_str(&program[start..end]);
        from = end;
    }
    out.push_str(&program[from..]);
    out
}

/// `message` with the names [`isolate_top_level`] renamed given back.
pub fn restore_names(message: &str) -> String {
    message.replace(UNBOUND_PREFIX, "")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Module,
    /// A function or lambda body: its names are closures for the scopes nested in it.
    Function,
    /// A class body: its names are invisible to the scopes nested in it.
    Class,
    /// A comprehension or generator expression: like a function, except that an assignment
    /// expression in it binds in the enclosing scope.
    Comprehension,
}

#[derive(Debug)]
struct Scope {
    kind: Kind,
    parent: Option<usize>,
    bound: HashSet<String>,
    declared_global: HashSet<String>,
}

/// A read of a name, with the scope it happens in and its byte range.
#[derive(Debug)]
struct Load {
    scope: usize,
    name: String,
    start: usize,
    end: usize,
}

/// The scopes of a program and every name read in them.
#[derive(Debug)]
struct Scopes {
    scopes: Vec<Scope>,
    current: usize,
    loads: Vec<Load>,
    /// Names some scope declares `global`.
    any_global: HashSet<String>,
}

impl Default for Scopes {
    fn default() -> Self {
        Self {
            scopes: vec![Scope {
                kind: Kind::Module,
                parent: None,
                bound: HashSet::new(),
                declared_global: HashSet::new(),
            }],
            current: 0,
            loads: Vec::new(),
            any_global: HashSet::new(),
        }
    }
}

impl Scopes {
    fn bind(&mut self, name: &str) {
        self.scopes[self.current].bound.insert(name.to_string());
    }

    /// Runs `inside` in a new scope of `kind` nested in the current one.
    fn nested(&mut self, kind: Kind, inside: impl FnOnce(&mut Self)) {
        let outer = self.current;
        self.scopes.push(Scope {
            kind,
            parent: Some(outer),
            bound: HashSet::new(),
            declared_global: HashSet::new(),
        });
        self.current = self.scopes.len() - 1;
        inside(self);
        self.current = outer;
    }

    fn bind_parameters(&mut self, parameters: &ast::Parameters) {
        for parameter in parameters.iter() {
            self.bind(parameter.name().as_str());
        }
    }

    /// True when `load` happens in a nested scope and resolves to the paper's globals, where
    /// the name is not.
    fn reads_missing_global(&self, load: &Load) -> bool {
        if self.scopes[load.scope].kind == Kind::Module
            || self.any_global.contains(&load.name)
            || GLOBALS.split_whitespace().any(|g| g == load.name)
        {
            return false;
        }
        let own = &self.scopes[load.scope];
        if own.bound.contains(&load.name) {
            return false;
        }
        // Enclosing function scopes are closures; class bodies and the module are not.
        let mut next = own.parent;
        while let Some(index) = next {
            let scope = &self.scopes[index];
            match scope.kind {
                Kind::Module => return true,
                Kind::Class => {}
                Kind::Function | Kind::Comprehension => {
                    if scope.bound.contains(&load.name)
                        && !scope.declared_global.contains(&load.name)
                    {
                        return false;
                    }
                }
            }
            next = scope.parent;
        }
        true
    }

    /// Visits a comprehension: its first iterable where it stands, the rest (targets,
    /// conditions, later iterables, then `rest`: the element, or key and value) in a scope
    /// of its own.
    fn comprehension(&mut self, generators: &[ast::Comprehension], rest: &[&Expr]) {
        let Some((first, _)) = generators.split_first() else {
            return;
        };
        // The first iterable is evaluated in the enclosing scope.
        self.visit_expr(&first.iter);
        self.nested(Kind::Comprehension, |s| {
            for (i, generator) in generators.iter().enumerate() {
                if i > 0 {
                    s.visit_expr(&generator.iter);
                }
                s.visit_expr(&generator.target);
                for condition in &generator.ifs {
                    s.visit_expr(condition);
                }
            }
            for expr in rest {
                s.visit_expr(expr);
            }
        });
    }
}

impl<'a> Visitor<'a> for Scopes {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => {
                for decorator in &def.decorator_list {
                    self.visit_decorator(decorator);
                }
                // Defaults and annotations are evaluated where the function is defined.
                self.visit_parameters(&def.parameters);
                if let Some(returns) = &def.returns {
                    self.visit_annotation(returns);
                }
                self.bind(def.name.as_str());
                self.nested(Kind::Function, |s| {
                    s.bind_parameters(&def.parameters);
                    s.visit_body(&def.body);
                });
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                self.bind(class.name.as_str());
                self.nested(Kind::Class, |s| s.visit_body(&class.body));
            }
            Stmt::Global(global) => {
                for name in &global.names {
                    let scope = &mut self.scopes[self.current];
                    scope.declared_global.insert(name.to_string());
                    self.any_global.insert(name.to_string());
                }
            }
            Stmt::Nonlocal(nonlocal) => {
                // A nonlocal name is an enclosing function's: bound here for resolution.
                for name in &nonlocal.names {
                    self.bind(name.as_str());
                }
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    match &alias.asname {
                        Some(asname) => self.bind(asname.as_str()),
                        None => {
                            let top = alias.name.split('.').next().unwrap_or_default();
                            self.bind(top);
                        }
                    }
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    self.bind(alias.asname.as_ref().unwrap_or(&alias.name).as_str());
                }
            }
            _ => walk_stmt(self, stmt),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(inner) = handler;
        if let Some(name) = &inner.name {
            self.bind(name.as_str());
        }
        walk_except_handler(self, handler);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) => match name.ctx {
                ExprContext::Load => self.loads.push(Load {
                    scope: self.current,
                    name: name.id.to_string(),
                    start: name.range.start().to_usize(),
                    end: name.range.end().to_usize(),
                }),
                _ => self.bind(name.id.as_str()),
            },
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    self.visit_parameters(parameters);
                }
                self.nested(Kind::Function, |s| {
                    if let Some(parameters) = &lambda.parameters {
                        s.bind_parameters(parameters);
                    }
                    s.visit_expr(&lambda.body);
                });
            }
            Expr::ListComp(c) => self.comprehension(&c.generators, &[&c.elt]),
            Expr::SetComp(c) => self.comprehension(&c.generators, &[&c.elt]),
            Expr::Generator(c) => self.comprehension(&c.generators, &[&c.elt]),
            Expr::DictComp(c) => match &c.key {
                Some(key) => self.comprehension(&c.generators, &[key, &c.value]),
                None => self.comprehension(&c.generators, &[&c.value]),
            },
            Expr::Named(named) => {
                self.visit_expr(&named.value);
                // The target binds in the nearest scope that is not a comprehension.
                let mut index = self.current;
                while self.scopes[index].kind == Kind::Comprehension {
                    index = self.scopes[index].parent.unwrap_or(0);
                }
                if let Expr::Name(target) = &*named.target {
                    self.scopes[index].bound.insert(target.id.to_string());
                }
            }
            _ => walk_expr(self, expr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renamed(program: &str) -> Vec<String> {
        let out = isolate_top_level(program);
        let mut names = Vec::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find(UNBOUND_PREFIX) {
            let tail = &rest[at + UNBOUND_PREFIX.len()..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            names.push(tail[..end].to_string());
            rest = &tail[end..];
        }
        names
    }

    #[test]
    fn nested_reads_of_top_level_names_are_renamed() {
        assert_eq!(
            renamed("rate = 3\nanswer = sum(rate * x for x in [1, 2])"),
            ["rate"]
        );
        // The first iterable is evaluated at top level; builtins are found everywhere.
        assert!(renamed("xs = [1, 2]\nanswer = [abs(x) for x in xs]").is_empty());
        assert_eq!(
            renamed("xs = [1]\nys = [2]\nanswer = [x + y for x in xs for y in ys]"),
            ["ys"]
        );
        // Function bodies, recursion, imports and lambdas.
        assert_eq!(
            renamed("import math\ndef f(n):\n    return math.sqrt(n) + f(n - 1)\nanswer = f(4)"),
            ["math", "f"]
        );
        assert_eq!(renamed("k = 2\ng = lambda v: v * k\nanswer = g(3)"), ["k"]);
        // Closures over enclosing functions, parameters, defaults and local names are fine.
        assert!(renamed(
            "k = 2\ndef outer(a, b=k):\n    c = a\n    def inner():\n        return a + b + c\n    return inner()\nanswer = outer(1)"
        )
        .is_empty());
        // A class body's names are invisible to its methods; `global` names are left alone.
        assert_eq!(
            renamed("class A:\n    z = 1\n    def m(self):\n        return z\nanswer = A().m()"),
            ["z"]
        );
        assert!(renamed("def f():\n    global t\n    t = 1\nf()\nanswer = t").is_empty());
        // Top-level code itself is untouched, and so is text that does not parse.
        assert!(renamed("a = 1\nanswer = a + 1").is_empty());
        assert_eq!(isolate_top_level("def (:"), "def (:");
    }

    #[test]
    fn messages_get_the_original_names_back() {
        assert_eq!(
            restore_names("NameError: name 'planbench_unbound_rate' is not defined"),
            "NameError: name 'rate' is not defined"
        );
    }
}
