//! The messages between the task and a sandbox worker: one JSON object per line.
//!
//! The parent writes a [`Hello`], the worker applies its limits and answers [`Reply::Ready`];
//! then each [`Job`] line is answered by one [`Reply::Done`] line.
//!
//! Values cross as [`WireValue`]: floats as their IEEE-754 bits, so that every float,
//! infinities and NaN included, arrives exactly as the interpreter computed it (JSON numbers
//! cannot carry non-finite values, and parsing decimal text back may round).

use std::io::{self, BufRead, Write};

use planbench_core::{ExecError, Value};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::dialect::PythonDialect;

/// Version of this protocol; a worker of another version is refused.
pub const VERSION: u32 = 3;

/// The limits a worker applies to itself before it reads any program, and the Python it runs
/// programs as.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Hello {
    pub timeout_ms: u64,
    pub memory_bytes: u64,
    #[serde(default)]
    pub dialect: PythonDialect,
}

/// One program to run.
#[derive(Debug, Serialize, Deserialize)]
pub struct Job {
    pub program: String,
}

/// A value on the wire: like [`Value`], with floats as their bits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireValue {
    Null,
    Integer(i64),
    /// `f64::to_bits` of the float.
    Real(u64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<&Value> for WireValue {
    fn from(value: &Value) -> Self {
        match value {
            Value::Null => WireValue::Null,
            Value::Integer(i) => WireValue::Integer(*i),
            Value::Real(r) => WireValue::Real(r.to_bits()),
            Value::Text(s) => WireValue::Text(s.clone()),
            Value::Blob(b) => WireValue::Blob(b.clone()),
        }
    }
}

impl From<WireValue> for Value {
    fn from(value: WireValue) -> Self {
        match value {
            WireValue::Null => Value::Null,
            WireValue::Integer(i) => Value::Integer(i),
            WireValue::Real(bits) => Value::Real(f64::from_bits(bits)),
            WireValue::Text(s) => Value::Text(s),
            WireValue::Blob(b) => Value::Blob(b),
        }
    }
}

/// An execution error on the wire: [`ExecError`] with the time limit's seconds as bits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireError {
    Failed(String),
    Refused(String),
    /// `f64::to_bits` of the limit in seconds.
    Timeout(u64),
    ResourceLimit(String),
}

impl From<&ExecError> for WireError {
    fn from(error: &ExecError) -> Self {
        match error {
            ExecError::Failed(m) => WireError::Failed(m.clone()),
            ExecError::Refused(m) => WireError::Refused(m.clone()),
            ExecError::Timeout(s) => WireError::Timeout(s.to_bits()),
            ExecError::ResourceLimit(m) => WireError::ResourceLimit(m.clone()),
        }
    }
}

impl From<WireError> for ExecError {
    fn from(error: WireError) -> Self {
        match error {
            WireError::Failed(m) => ExecError::Failed(m),
            WireError::Refused(m) => ExecError::Refused(m),
            WireError::Timeout(bits) => ExecError::Timeout(f64::from_bits(bits)),
            WireError::ResourceLimit(m) => ExecError::ResourceLimit(m),
        }
    }
}

/// What a worker says.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    /// The limits are in force and the worker waits for jobs.
    Ready { version: u32 },
    /// The value of `answer` (`Null` when the program left it unset), or why there is none.
    Done(Result<WireValue, WireError>),
}

impl Reply {
    /// The reply that reports `result`.
    pub fn done(result: &Result<Value, ExecError>) -> Self {
        Reply::Done(match result {
            Ok(v) => Ok(v.into()),
            Err(e) => Err(e.into()),
        })
    }
}

/// The result a [`Reply::Done`] carries, as the task sees it.
pub fn into_result(done: Result<WireValue, WireError>) -> Result<Value, ExecError> {
    done.map(Value::from).map_err(ExecError::from)
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
