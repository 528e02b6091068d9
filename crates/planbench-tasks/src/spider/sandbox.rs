//! Sandboxed, read-only execution of SQL on the Spider databases, under hard limits.
//!
//! Connections are read-only with lowered SQLite limits (see [`super::connection`]) and are
//! pooled per database, each on an executor thread of its own; the caller hands a statement
//! to an idle executor and watches it:
//!
//! * **time**: at the time limit the caller interrupts the statement (`sqlite3_interrupt`,
//!   which `prepare`, stepping and sorting all observe); a statement still inside one long
//!   SQLite call is abandoned [`GRACE`] later, so the caller always returns within the limit
//!   plus [`GRACE`], whichever phase the statement is in. The lowered value-length limit keeps
//!   every single call short, so an abandoned statement ends soon after; its executor is then
//!   closed rather than pooled. Statements whose common table expressions expand
//!   exponentially during `prepare` are refused before they start ([`super::expansion`]).
//! * **memory**: values are capped by `SQLITE_LIMIT_LENGTH`, SQLite's heap by a process-wide
//!   hard limit, rows by the row limit and the result by [`MAX_RESULT_BYTES`] (estimated as
//!   held in memory: every cell plus its text).
//!
//! Statements must be read-only and single.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use planbench_core::{ExecError, Value};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, InterruptHandle};

use super::connection::{self, NOT_FOUND, OPEN_FAILED};
use super::expansion::{self, MAX_EXPANSION};

/// Most bytes a result may hold in memory (cells and their text or blobs).
pub(crate) const MAX_RESULT_BYTES: usize = 64 << 20;
/// Idle connections kept per database.
const POOL_PER_DB: usize = 8;
/// How long past its time limit an interrupted statement may take to stop before its caller
/// gives up on it.
pub(crate) const GRACE: Duration = Duration::from_millis(500);
/// Stack of an executor thread.
const STACK_BYTES: usize = 4 << 20;

/// A query result: column names and rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// Approximate heap bytes of the table: every cell plus its text or blob, and the names.
    pub fn weight(&self) -> usize {
        let names: usize = self.columns.iter().map(|c| c.len() + CELL_BYTES).sum();
        let cells: usize = self
            .rows
            .iter()
            .map(|r| CELL_BYTES + r.iter().map(|v| CELL_BYTES + payload_len(v)).sum::<usize>())
            .sum();
        names + cells
    }
}

/// Bytes of one `Value` (or `Vec`/`String` header) in memory.
const CELL_BYTES: usize = std::mem::size_of::<Value>();

/// Heap bytes a value holds beyond its cell.
fn payload_len(value: &Value) -> usize {
    match value {
        Value::Text(s) => s.len(),
        Value::Blob(b) => b.len(),
        _ => 0,
    }
}

/// True for failures that come from the machine rather than from the statement (the database
/// could not be opened, SQLite ran out of its process-wide heap): they may not recur.
pub(crate) fn is_transient(error: &ExecError) -> bool {
    match error {
        ExecError::Failed(m) => m.starts_with(OPEN_FAILED) || m.starts_with(NOT_FOUND),
        ExecError::ResourceLimit(m) => m.contains("out of memory"),
        _ => false,
    }
}

/// How many rows to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Fetch {
    /// All rows; more than `max_rows` is a resource-limit error.
    All,
    /// At most this many rows, silently ignoring the rest.
    First(usize),
}

/// Runs queries on the databases under one directory.
pub(crate) struct Sandbox {
    database_dir: PathBuf,
    timeout: Duration,
    max_rows: usize,
    pool: Mutex<HashMap<String, Vec<Executor>>>,
    /// Statements executing, abandoned ones included.
    running: Arc<AtomicUsize>,
    /// How long an interrupted statement may take to stop ([`GRACE`]).
    grace: Duration,
}

/// One statement for an executor.
struct Job {
    sql: String,
    fetch: Fetch,
    max_rows: usize,
    reply: mpsc::SyncSender<Result<Table, QueryError>>,
}

/// A sandboxed connection that lives on a thread of its own and runs one statement at a time.
/// Dropping it ends the thread once its statement (if any) is over.
struct Executor {
    jobs: mpsc::Sender<Job>,
    interrupt: InterruptHandle,
}

impl Executor {
    fn start(conn: Connection, running: Arc<AtomicUsize>) -> Result<Self, ExecError> {
        let interrupt = conn.get_interrupt_handle();
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("planbench-sql".into())
            .stack_size(STACK_BYTES)
            .spawn(move || {
                for job in queue {
                    let result = query(&conn, &job.sql, job.fetch, job.max_rows);
                    running.fetch_sub(1, Ordering::SeqCst);
                    // The caller may have given up on the statement.
                    let _ = job.reply.send(result);
                }
            })
            .map_err(|e| {
                ExecError::ResourceLimit(format!(
                    "out of memory: cannot start a statement thread: {e}"
                ))
            })?;
        Ok(Self { jobs, interrupt })
    }
}

impl Sandbox {
    /// A sandbox for `<database_dir>/<db_id>/<db_id>.sqlite` files.
    pub fn new(database_dir: PathBuf, timeout: Duration, max_rows: usize) -> Self {
        Self {
            database_dir,
            timeout,
            max_rows,
            pool: Mutex::new(HashMap::new()),
            running: Arc::new(AtomicUsize::new(0)),
            grace: GRACE,
        }
    }

    /// The file of database `db_id`.
    pub fn db_path(&self, db_id: &str) -> PathBuf {
        self.database_dir
            .join(db_id)
            .join(format!("{db_id}.sqlite"))
    }

    /// Statements executing now, including those abandoned past their time limit.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Runs one read-only statement on `db_id`, returning within the time limit plus
    /// [`GRACE`].
    pub fn run(&self, db_id: &str, sql: &str, fetch: Fetch) -> Result<Table, ExecError> {
        if sql.len() > connection::MAX_SQL_BYTES as usize {
            return Err(ExecError::ResourceLimit(format!(
                "statement too long: {} bytes (at most {})",
                sql.len(),
                connection::MAX_SQL_BYTES
            )));
        }
        let copies = expansion::expansion(sql);
        if copies > MAX_EXPANSION {
            return Err(ExecError::ResourceLimit(format!(
                "the statement expands common table expressions about {copies} times \
                 (at most {MAX_EXPANSION})"
            )));
        }
        let executor = self.checkout(db_id)?;
        let (reply, result) = mpsc::sync_channel(1);
        let job = Job {
            sql: sql.to_string(),
            fetch,
            max_rows: self.max_rows,
            reply,
        };
        self.running.fetch_add(1, Ordering::SeqCst);
        if executor.jobs.send(job).is_err() {
            self.running.fetch_sub(1, Ordering::SeqCst);
            return Err(ExecError::Failed(
                "the statement's executor thread is gone".into(),
            ));
        }
        let timeout = ExecError::Timeout(self.timeout.as_secs_f64());
        match result.recv_timeout(self.timeout) {
            Ok(result) => {
                self.checkin(db_id, executor);
                result.map_err(QueryError::into_exec)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                executor.interrupt.interrupt();
                if result.recv_timeout(self.grace).is_ok() {
                    self.checkin(db_id, executor);
                } else {
                    tracing::warn!(
                        "a statement on `{db_id}` ignored its interrupt for {:?}; \
                         abandoned ({} statements running)",
                        self.grace,
                        self.running()
                    );
                }
                Err(timeout)
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(ExecError::Failed(
                "the statement's executor thread ended without a result".into(),
            )),
        }
    }

    fn checkout(&self, db_id: &str) -> Result<Executor, ExecError> {
        let pooled = self
            .pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(db_id)
            .and_then(Vec::pop);
        match pooled {
            Some(executor) => Ok(executor),
            None => {
                let conn = connection::open(&self.db_path(db_id))?;
                Executor::start(conn, Arc::clone(&self.running))
            }
        }
    }

    fn checkin(&self, db_id: &str, executor: Executor) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        let idle = pool.entry(db_id.to_string()).or_default();
        if idle.len() < POOL_PER_DB {
            idle.push(executor);
        }
    }
}

enum QueryError {
    Exec(ExecError),
    Sqlite(rusqlite::Error),
}

impl QueryError {
    fn into_exec(self) -> ExecError {
        match self {
            QueryError::Exec(e) => e,
            QueryError::Sqlite(e) => classify(e),
        }
    }
}

impl From<rusqlite::Error> for QueryError {
    fn from(e: rusqlite::Error) -> Self {
        QueryError::Sqlite(e)
    }
}

fn query(conn: &Connection, sql: &str, fetch: Fetch, max_rows: usize) -> Result<Table, QueryError> {
    let mut stmt = conn.prepare(sql)?;
    if !stmt.readonly() {
        return Err(QueryError::Exec(ExecError::Refused(
            "only read-only statements may run".into(),
        )));
    }
    if stmt.column_count() == 0 {
        return Err(QueryError::Exec(ExecError::Failed(
            "not a query: the statement returns no columns".into(),
        )));
    }
    let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let width = columns.len();
    let mut rows = Vec::new();
    let mut bytes = columns.iter().map(|c| c.len() + CELL_BYTES).sum::<usize>();
    let mut cursor = stmt.raw_query();
    while let Some(row) = cursor.next()? {
        match fetch {
            Fetch::First(n) if rows.len() >= n => break,
            Fetch::All if rows.len() >= max_rows => {
                return Err(QueryError::Exec(ExecError::ResourceLimit(format!(
                    "more than {max_rows} rows"
                ))));
            }
            _ => {}
        }
        bytes += CELL_BYTES;
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            let value = row.get_ref(i)?;
            bytes += CELL_BYTES
                + match value {
                    ValueRef::Text(t) | ValueRef::Blob(t) => t.len(),
                    _ => 0,
                };
            if bytes > MAX_RESULT_BYTES {
                return Err(QueryError::Exec(ExecError::ResourceLimit(format!(
                    "result larger than {} MiB",
                    MAX_RESULT_BYTES >> 20
                ))));
            }
            values.push(convert(value));
        }
        rows.push(values);
    }
    Ok(Table { columns, rows })
}

/// A column value; text is decoded as UTF-8 dropping invalid bytes, like the reference's
/// `bytes.decode(errors="ignore")`.
fn convert(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(t.utf8_chunks().map(|c| c.valid()).collect()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// Maps an SQLite error to the harness's error kinds.
fn classify(e: rusqlite::Error) -> ExecError {
    use rusqlite::ErrorCode as C;
    if matches!(e, rusqlite::Error::MultipleStatement) {
        return ExecError::Refused("only one statement may run".into());
    }
    let message = e.to_string();
    match e.sqlite_error_code() {
        Some(C::AuthorizationForStatementDenied | C::ReadOnly | C::PermissionDenied) => {
            ExecError::Refused(message)
        }
        // A denied function is reported as a plain error.
        _ if message.contains("not authorized") => ExecError::Refused(message),
        Some(C::OutOfMemory | C::TooBig | C::DiskFull) => ExecError::ResourceLimit(message),
        Some(C::OperationInterrupted) => ExecError::Failed(format!("interrupted: {message}")),
        _ => ExecError::Failed(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A statement inside one long SQLite call outlives its interrupt: the caller returns at
    /// the limit plus the grace period anyway, the abandoned executor ends on its own soon
    /// after, and the database keeps serving.
    #[test]
    fn a_statement_that_ignores_its_interrupt_is_abandoned() {
        let dir = std::env::temp_dir().join(format!("planbench-sandbox-{}", std::process::id()));
        let db = dir.join("d");
        std::fs::create_dir_all(&db).unwrap();
        Connection::open(db.join("d.sqlite"))
            .unwrap()
            .execute_batch("CREATE TABLE t (a); INSERT INTO t VALUES (1);")
            .unwrap();
        let mut sandbox = Sandbox::new(dir.clone(), Duration::from_millis(30), 1000);
        sandbox.grace = Duration::from_millis(5);
        // One instr call over values at the length limit: a few hundred milliseconds in one
        // SQLite call, which no interrupt reaches.
        let n = connection::MAX_VALUE_BYTES - 16;
        let sql = format!(
            "SELECT instr(printf('%.*c', {n}, 'q'), printf('%.*c', {}, 'q') || 'z')",
            n / 2
        );
        let start = Instant::now();
        let result = sandbox.run("d", &sql, Fetch::All);
        let took = start.elapsed();
        assert!(matches!(result, Err(ExecError::Timeout(_))), "{result:?}");
        assert!(took < Duration::from_millis(200), "{took:?}");
        assert_eq!(sandbox.running(), 1, "the call is still going");
        let ok = sandbox.run("d", "SELECT a FROM t", Fetch::All).unwrap();
        assert_eq!(ok.rows, vec![vec![Value::Integer(1)]]);
        let wait = Instant::now();
        while sandbox.running() > 0 && wait.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(sandbox.running(), 0);
        drop(sandbox);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
