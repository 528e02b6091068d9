//! The worker process: runs programs with monty, under the limits its parent asked for.
//!
//! The worker trusts nothing it runs. Before it reads any program it confines itself with kernel
//! limits ([`super::os_limits`]); each program then runs in a fresh monty session with monty's
//! own time, memory and recursion limits, after the import allowlist ([`super::imports`]) has
//! accepted it.
//!
//! A worker outlives a parent that dies only briefly: waiting for a job it reads the end of its
//! input and exits, and running one it is stopped by its CPU limit. (It does not use
//! `PR_SET_PDEATHSIG`, which fires when the *thread* that started it exits, and the task starts
//! workers from whichever thread needs one.)

use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use monty::MontyRepl;
use monty_types::{
    CompileOptions, ExcType, MontyException, MontyObject, PrintWriter, ResourceLimits,
    ResourceTracker,
};
use planbench_core::{ExecError, Value};

use super::dialect::{PythonDialect, PythonScope};
use super::protocol::{self, Hello, Job, Reply};
use super::{imports, os_limits, scope};

/// Longest text value or error message sent back; longer ones are cut (a program may build a
/// huge string, or raise an exception with one).
const MAX_TEXT: usize = 4096;

/// Entry point of a sandbox worker: serves the protocol on stdin/stdout until stdin closes.
///
/// Call it from a `main` whose binary installs `monty_alloc::LimitedAllocator` as its global
/// allocator (as `planbench-python-worker` does): monty then raises `MemoryError` at the memory
/// budget. Without it, the address-space limit alone bounds memory and a program past it ends
/// the worker, which its parent reports as a resource-limit error.
pub fn worker_main() -> ExitCode {
    match serve(&mut io::stdin().lock(), &mut io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("planbench python worker: {error}");
            ExitCode::FAILURE
        }
    }
}

fn serve(input: &mut impl BufRead, output: &mut impl Write) -> io::Result<()> {
    let Some(hello) = protocol::receive::<Hello>(input)? else {
        return Ok(());
    };
    os_limits::confine(hello.memory_bytes)?;
    let memory = usize::try_from(hello.memory_bytes).unwrap_or(usize::MAX);
    // Arms monty-alloc's counting limit; fails when the binary does not use it.
    let counted_memory = monty_alloc::set_limit(Some(memory), false).is_ok();
    let limits = Limits {
        timeout: Duration::from_millis(hello.timeout_ms),
        memory: counted_memory.then_some(memory),
        dialect: hello.dialect,
    };
    protocol::send(
        output,
        &Reply::Ready {
            version: protocol::VERSION,
        },
    )?;
    while let Some(job) = protocol::receive::<Job>(input)? {
        os_limits::limit_cpu_from_now(limits.timeout)?;
        let result = run(&job.program, limits);
        protocol::send(output, &Reply::done(&result))?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    timeout: Duration,
    memory: Option<usize>,
    dialect: PythonDialect,
}

/// Runs one program and reads `answer` from its global namespace, as the paper's `exec` does
/// (under [`PythonScope::ExecLocals`], with the top-level names hidden from nested scopes as
/// `exec`'s separate locals hide them).
fn run(program: &str, limits: Limits) -> Result<Value, ExecError> {
    imports::check(program, limits.dialect.imports)?;
    let isolated;
    let program = match limits.dialect.scope {
        PythonScope::Shared => program,
        PythonScope::ExecLocals => {
            isolated = scope::isolate_top_level(program);
            isolated.as_str()
        }
    };
    let resource_limits = ResourceLimits {
        max_duration: Some(limits.timeout),
        max_memory: limits.memory,
        ..ResourceLimits::default()
    };
    let mut session = MontyRepl::new(
        "program.py",
        ResourceTracker::new(resource_limits),
        CompileOptions::default(),
    );
    session
        .feed_run(program, Vec::new(), PrintWriter::Disabled)
        .map_err(|e| exec_error(&e, limits))?;
    match session.feed_run("answer", Vec::new(), PrintWriter::Disabled) {
        Ok(answer) => Ok(to_value(&answer)),
        Err(e) if e.exc_type() == ExcType::NameError => Ok(Value::Null),
        Err(e) => Err(exec_error(&e, limits)),
    }
}

/// The execution error for an exception: the interpreter's limits become `Timeout` and
/// `ResourceLimit`, an attempt to reach the operating system `Refused`, anything else `Failed`
/// with its type, message and line.
fn exec_error(exception: &MontyException, limits: Limits) -> ExecError {
    let summary = match limits.dialect.scope {
        PythonScope::Shared => truncate(&exception.summary()),
        PythonScope::ExecLocals => truncate(&scope::restore_names(&exception.summary())),
    };
    match exception.exc_type() {
        ExcType::TimeoutError if summary.contains("time limit exceeded") => {
            ExecError::Timeout(limits.timeout.as_secs_f64())
        }
        ExcType::MemoryError => ExecError::ResourceLimit(summary),
        // monty suspends on filesystem and environment access (`open`, `Path.read_text`...)
        // for a host to serve; this host serves none, so monty raises this.
        ExcType::NotImplementedError if summary.contains("OS function") => {
            ExecError::Refused(format!("no operating-system access: {summary}"))
        }
        _ => match exception.traceback().last() {
            Some(frame) => ExecError::Failed(format!("line {}: {summary}", frame.start.line)),
            None => ExecError::Failed(summary),
        },
    }
}

/// A Python value as a task value: numbers and strings as such (`bool` as the int it is, so
/// that `True == 1` as in Python), `None` as `Null`, anything else as the text of its repr.
fn to_value(object: &MontyObject) -> Value {
    match object {
        MontyObject::None => Value::Null,
        MontyObject::Bool(b) => Value::Integer(i64::from(*b)),
        MontyObject::Int(i) => Value::Integer(*i),
        MontyObject::Float(f) => Value::Real(*f),
        MontyObject::String(s) => Value::Text(truncate(s)),
        other => Value::Text(truncate(&other.py_repr())),
    }
}

fn truncate(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_string();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}
