//! The parent side: a pool of worker processes that run programs under a wall-clock deadline.

use std::io::{self, BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use planbench_core::{ExecError, Execution, Output};

use super::dialect::PythonDialect;
use super::protocol::{self, Hello, Job, Reply};

/// How long a fresh worker may take to apply its limits and say it is ready.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// How to start a sandbox worker process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments (e.g. the hidden subcommand of a binary that dispatches to
    /// [`worker_main`](super::worker_main)).
    pub args: Vec<String>,
}

impl WorkerCommand {
    /// Name of the dedicated worker binary of this crate.
    pub const BINARY: &'static str = "planbench-python-worker";
    /// Environment variable that overrides the default worker executable.
    pub const ENV_VAR: &'static str = "PLANBENCH_PYTHON_WORKER";

    /// Runs `program` without arguments.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }
}

impl Default for WorkerCommand {
    /// `$PLANBENCH_PYTHON_WORKER` when set; otherwise `planbench-python-worker` next to the
    /// current executable, or one directory up (where cargo puts it for test binaries, which
    /// live in `target/<profile>/deps`).
    fn default() -> Self {
        if let Some(program) = std::env::var_os(Self::ENV_VAR) {
            return Self::new(program);
        }
        let name = format!("{}{}", Self::BINARY, std::env::consts::EXE_SUFFIX);
        let dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(PathBuf::from))
            .unwrap_or_default();
        let beside = dir.join(&name);
        let above = dir.parent().map(|parent| parent.join(&name));
        match above {
            Some(above) if !beside.exists() && above.exists() => Self::new(above),
            _ => Self::new(beside),
        }
    }
}

/// The limits every program runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxLimits {
    /// Wall-clock time for one program.
    pub timeout: Duration,
    /// Memory a program may allocate.
    pub memory_bytes: u64,
}

impl SandboxLimits {
    /// When the parent gives up on a program and kills its worker: the timeout plus a grace
    /// period for the interpreter to report the timeout itself.
    fn deadline(self) -> Duration {
        self.timeout + self.timeout / 10 + Duration::from_millis(500)
    }
}

/// Why the sandbox could not start a worker.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot start the sandbox worker `{}`: {source}", program.display())]
    Spawn { program: PathBuf, source: io::Error },
    #[error("the sandbox worker `{}` did not start: {message}", program.display())]
    Handshake { program: PathBuf, message: String },
}

/// A pool of sandbox workers, shared by threads.
///
/// Each program runs in a worker process taken from the pool (or started when none is idle) and
/// the worker goes back after a clean answer. A worker that overran its deadline is killed, one
/// that died is reaped, and both are replaced by fresh ones on demand, so one hostile program
/// never affects the next.
#[derive(Debug)]
pub struct Sandbox {
    command: WorkerCommand,
    limits: SandboxLimits,
    dialect: PythonDialect,
    idle: Mutex<Vec<Worker>>,
    max_idle: usize,
}

impl Sandbox {
    /// A pool that starts workers with `command`; none is started yet.
    pub fn new(command: WorkerCommand, limits: SandboxLimits) -> Self {
        let max_idle = std::thread::available_parallelism()
            .map_or(4, usize::from)
            .clamp(2, 16);
        Self {
            command,
            limits,
            dialect: PythonDialect::default(),
            idle: Mutex::new(Vec::new()),
            max_idle,
        }
    }

    /// The pool with programs run as `dialect` (planbench's by default).
    pub fn with_dialect(self, dialect: PythonDialect) -> Self {
        Self { dialect, ..self }
    }

    /// The limits programs run under.
    pub fn limits(&self) -> SandboxLimits {
        self.limits
    }

    /// Starts one worker and keeps it idle: checks that workers can be started at all.
    pub fn warm_up(&self) -> Result<(), SandboxError> {
        let worker = Worker::spawn(&self.command, self.limits, self.dialect)?;
        self.give_back(worker);
        Ok(())
    }

    /// Runs `program` in a worker and reports the value it assigned to `answer`.
    pub fn run(&self, program: &str) -> Execution {
        let started = Instant::now();
        let result = self.run_job(program).map(Output::Answer);
        Execution {
            result,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    fn run_job(&self, program: &str) -> Result<planbench_core::Value, ExecError> {
        let job = Job {
            program: program.to_string(),
        };
        let mut worker = self.take()?;
        if worker.send(&job).is_err() {
            // The worker died while idle: one retry with a fresh one.
            worker =
                Worker::spawn(&self.command, self.limits, self.dialect).map_err(unavailable)?;
            worker
                .send(&job)
                .map_err(|e| ExecError::Failed(format!("{UNAVAILABLE}: {e}")))?;
        }
        match worker.receive(self.limits.deadline()) {
            Received::Reply(Reply::Done(result)) => {
                self.give_back(worker);
                protocol::into_result(result)
            }
            Received::Reply(Reply::Ready { .. }) => Err(protocol_error("an unexpected `Ready`")),
            Received::Garbage(line) => Err(protocol_error(&line)),
            Received::TimedOut => Err(ExecError::Timeout(self.limits.timeout.as_secs_f64())),
            Received::Closed => Err(worker.death(self.limits)),
        }
    }

    fn take(&self) -> Result<Worker, ExecError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match idle {
            Some(worker) => Ok(worker),
            None => Worker::spawn(&self.command, self.limits, self.dialect).map_err(unavailable),
        }
    }

    fn give_back(&self, worker: Worker) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle {
            idle.push(worker);
        }
    }
}

/// Start of the message of a worker that said something that is not a reply.
const PROTOCOL_ERROR: &str = "sandbox protocol error";
/// Start of the message of a program that found no worker to run it.
const UNAVAILABLE: &str = "sandbox unavailable";

/// True for errors of the sandbox itself (no worker could start, a worker broke the
/// protocol), which say nothing about the program that was to run.
pub fn is_infrastructure(error: &ExecError) -> bool {
    matches!(error, ExecError::Failed(m) if m.starts_with(PROTOCOL_ERROR) || m.starts_with(UNAVAILABLE))
}

/// A worker said something that is not a reply; it is dropped (and so killed).
fn protocol_error(said: &str) -> ExecError {
    let said = said.get(..200).unwrap_or(said);
    tracing::error!("{PROTOCOL_ERROR}: the worker said {said:?}");
    ExecError::Failed(format!("{PROTOCOL_ERROR}: the worker said {said:?}"))
}

/// A program could not run because no worker could be started.
fn unavailable(error: SandboxError) -> ExecError {
    tracing::error!("{error}");
    ExecError::Failed(format!("{UNAVAILABLE}: {error}"))
}

/// What came back from a worker within a deadline.
enum Received {
    Reply(Reply),
    /// A line that is not a reply.
    Garbage(String),
    TimedOut,
    /// The worker closed its output: it died.
    Closed,
}

/// One worker process; killed and reaped when dropped.
#[derive(Debug)]
struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Worker {
    fn spawn(
        command: &WorkerCommand,
        limits: SandboxLimits,
        dialect: PythonDialect,
    ) -> Result<Self, SandboxError> {
        let spawn_error = |source| SandboxError::Spawn {
            program: command.program.clone(),
            source,
        };
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(spawn_error)?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(spawn_error(io::Error::other("no pipes to the worker")));
        };
        // A reader thread turns the blocking pipe into a channel that can be read with a
        // deadline; it ends when the worker's stdout closes.
        let (sender, lines) = mpsc::channel();
        std::thread::Builder::new()
            .name("sandbox-reader".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            })
            .map_err(spawn_error)?;
        let mut worker = Worker {
            child,
            stdin,
            lines,
        };
        let handshake_error = |message: String| SandboxError::Handshake {
            program: command.program.clone(),
            message,
        };
        let hello = Hello {
            timeout_ms: u64::try_from(limits.timeout.as_millis()).unwrap_or(u64::MAX),
            memory_bytes: limits.memory_bytes,
            dialect,
        };
        worker
            .send(&hello)
            .map_err(|e| handshake_error(format!("cannot send the limits: {e}")))?;
        match worker.receive(STARTUP_TIMEOUT) {
            Received::Reply(Reply::Ready { version }) if version == protocol::VERSION => Ok(worker),
            Received::Reply(reply) => Err(handshake_error(format!(
                "expected `Ready {{ version: {} }}`, got {reply:?}",
                protocol::VERSION
            ))),
            Received::Garbage(line) => Err(handshake_error(format!(
                "expected `Ready`, got {:?}",
                line.get(..200).unwrap_or(&line)
            ))),
            Received::TimedOut => Err(handshake_error(format!(
                "no answer within {STARTUP_TIMEOUT:?}"
            ))),
            Received::Closed => {
                let status = worker.child.wait().map_err(spawn_error)?;
                Err(handshake_error(format!(
                    "it exited ({status}); is it a planbench python worker?"
                )))
            }
        }
    }

    fn send<T: serde::Serialize>(&mut self, message: &T) -> io::Result<()> {
        protocol::send(&mut self.stdin, message)
    }

    fn receive(&self, deadline: Duration) -> Received {
        match self.lines.recv_timeout(deadline) {
            Ok(line) => match serde_json::from_str(&line) {
                Ok(reply) => Received::Reply(reply),
                Err(_) => Received::Garbage(line),
            },
            Err(RecvTimeoutError::Timeout) => Received::TimedOut,
            Err(RecvTimeoutError::Disconnected) => Received::Closed,
        }
    }

    /// Why the worker stopped answering, from how it ended.
    fn death(mut self, limits: SandboxLimits) -> ExecError {
        let _ = self.child.kill();
        match self.child.wait() {
            Ok(status) => classify_death(status, limits),
            Err(e) => ExecError::ResourceLimit(format!("the sandbox worker was lost: {e}")),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The error for a worker that ended while running a program.
fn classify_death(status: ExitStatus, limits: SandboxLimits) -> ExecError {
    let mib = limits.memory_bytes >> 20;
    if status.code() == Some(monty_types::OOM_EXIT_CODE) {
        return ExecError::ResourceLimit(format!("memory limit of {mib} MiB exceeded"));
    }
    match status.signal() {
        Some(libc::SIGXCPU) => ExecError::Timeout(limits.timeout.as_secs_f64()),
        Some(libc::SIGSEGV | libc::SIGBUS | libc::SIGABRT) => ExecError::ResourceLimit(format!(
            "the interpreter crashed ({status}): stack or memory limit of {mib} MiB exhausted"
        )),
        _ => ExecError::ResourceLimit(format!("the sandbox worker died ({status})")),
    }
}
