//! The messages between the task and a sandbox worker: one JSON object per line.
//!
//! The parent writes a [`Hello`], the worker applies its limits and answers [`Reply::Ready`];
//! then each [`Job`] line is answered by one [`Reply::Done`] line.

use std::io::{self, BufRead, Write};

use planbench_core::{ExecError, Value};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Version of this protocol; a worker of another version is refused.
pub const VERSION: u32 = 1;

/// The limits a worker applies to itself before it reads any program.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Hello {
    pub timeout_ms: u64,
    pub memory_bytes: u64,
}

/// One program to run.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub program: String,
}

/// What a worker says.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// The limits are in force and the worker waits for jobs.
    Ready { version: u32 },
    /// The value of `answer` (`Null` when the program left it unset), or why there is none.
    Done(Result<Value, ExecError>),
}

/// Writes `message` as one line and flushes it.
pub fn send<T: Serialize>(out: &mut impl Write, message: &T) -> io::Result<()> {
    let mut line = serde_json::to_vec(message)?;
    line.push(b'\n');
    out.write_all(&line)?;
    out.flush()
}

/// Reads the next message; `None` at the end of the input.
pub fn receive<T: DeserializeOwned>(input: &mut impl BufRead) -> io::Result<Option<T>> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    serde_json::from_str(&line)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}
