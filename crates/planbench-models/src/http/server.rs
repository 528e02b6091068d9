//! Starting a local llama.cpp `llama-server` (installed by `scripts/llama-server.sh`) for the
//! HTTP backend, e.g. in tests or to serve a model to several planbench processes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use planbench_core::GenError;

/// Environment variable naming the `llama-server` program to start.
pub const SERVER_ENV: &str = "PLANBENCH_LLAMA_SERVER";

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The `llama-server` program.
    pub program: PathBuf,
    /// The GGUF model it serves.
    pub model: PathBuf,
    /// Parallel slots (`-np`): the most completions one request may ask for.
    pub slots: usize,
    /// CPU threads (`-t`).
    pub threads: usize,
    /// Context size shared by the slots (`-c`).
    pub n_ctx: u32,
    /// How long to wait for `/health`.
    pub startup_timeout: Duration,
}

impl ServerOptions {
    /// Options for serving `model` with the program of `$PLANBENCH_LLAMA_SERVER`, or the one
    /// `scripts/llama-server.sh` installs under `repo`.
    pub fn new(repo: &Path, model: impl Into<PathBuf>) -> Self {
        let program = std::env::var_os(SERVER_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| repo.join(".venv/llama-server/bin/llama-server"));
        Self {
            program,
            model: model.into(),
            slots: 2,
            threads: 1,
            n_ctx: 4096,
            startup_timeout: Duration::from_secs(180),
        }
    }

    /// The versions `scripts/llama-server.sh` recorded for the program (the `VERSION` file of
    /// its build: server source, llama.cpp build, CPU level, in-process llama.cpp), if it was
    /// built by that script.
    pub fn recorded_versions(&self) -> Option<String> {
        let program = std::fs::canonicalize(&self.program).ok()?;
        std::fs::read_to_string(program.parent()?.parent()?.join("VERSION")).ok()
    }
}

/// A running `llama-server` on a free port of 127.0.0.1, killed when dropped.
pub struct LlamaServerProcess {
    child: Child,
    port: u16,
    log: PathBuf,
}

fn start_err(what: impl std::fmt::Display) -> GenError {
    GenError::Backend(format!("llama-server: {what}"))
}

impl LlamaServerProcess {
    /// Starts the server and waits until its model is loaded.
    pub fn start(options: &ServerOptions) -> Result<Self, GenError> {
        for (what, path) in [("model", &options.model), ("program", &options.program)] {
            if !path.is_file() {
                return Err(start_err(format!(
                    "{what} {} is missing: run scripts/setup.sh --llama-server (or \
                     scripts/llama-server.sh, which builds the program)",
                    path.display()
                )));
            }
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(start_err)?
            .port();
        let log = std::env::temp_dir().join(format!("planbench-llama-server-{port}.log"));
        let stderr = std::fs::File::create(&log).map_err(start_err)?;
        let child = Command::new(&options.program)
            .arg("-m")
            .arg(&options.model)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["-c", &options.n_ctx.to_string()])
            .args(["-np", &options.slots.to_string()])
            .args(["-t", &options.threads.to_string(), "-ngl", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| start_err(format!("cannot start {}: {e}", options.program.display())))?;
        let mut server = Self { child, port, log };
        server.wait_healthy(options.startup_timeout)?;
        Ok(server)
    }

    /// The base URL to give the HTTP backend.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the server now (as a crash would).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_healthy(&mut self, timeout: Duration) -> Result<(), GenError> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().map_err(start_err)? {
                return Err(start_err(format!(
                    "exited with {status}:\n{}",
                    self.log_tail()
                )));
            }
            if health_ok(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(start_err(format!(
            "not healthy within {} s:\n{}",
            timeout.as_secs(),
            self.log_tail()
        )))
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for LlamaServerProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Whether `GET /health` answers 200.
fn health_ok(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}
