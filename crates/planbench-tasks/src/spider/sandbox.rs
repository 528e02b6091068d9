//! Sandboxed, read-only execution of SQL on the Spider databases.
//!
//! Every connection opens its file with `SQLITE_OPEN_READ_ONLY` and the URI parameter
//! `immutable=1` (no journal, no locks, no writes are possible), turns on `query_only`, the
//! defensive mode and an untrusted schema, allows no attached databases, and installs an
//! authorizer that only lets reads, `SELECT`, recursive CTEs, harmless functions and a few
//! schema-reading pragmas through. Statements must be read-only and single. A progress
//! handler enforces the time limit; string/blob length, result rows and result bytes are
//! capped; sorts and temporary tables spill to temporary files bounded by the page cache, so
//! memory stays bounded per connection. Connections are pooled per database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use planbench_core::{ExecError, Value};
use rusqlite::ffi;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

/// Largest string or blob a query may build (SQLITE_LIMIT_LENGTH).
const MAX_VALUE_BYTES: i32 = 16 << 20;
/// Longest SQL text accepted (SQLITE_LIMIT_SQL_LENGTH).
const MAX_SQL_BYTES: i32 = 1 << 20;
/// Most text and blob bytes a result may hold in total.
const MAX_RESULT_BYTES: usize = 256 << 20;
/// Page cache per connection, in KiB (negative `cache_size`); bounds sorter memory too.
const CACHE_KIB: i64 = 8 << 10;
/// Idle connections kept per database.
const POOL_PER_DB: usize = 8;
/// Virtual-machine steps between two checks of the clock.
const PROGRESS_STEPS: i32 = 1000;

/// Functions a query may not call, whatever SQLite build runs it.
const DENIED_FUNCTIONS: &[&str] = &[
    "load_extension",
    "readfile",
    "writefile",
    "edit",
    "fts3_tokenizer",
    "sqlar_compress",
    "sqlar_uncompress",
    "zipfile",
    "lsmode",
];

/// Pragmas a query may run: they only read the schema.
const READ_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
];

/// A query result: column names and rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// How many rows to fetch.
#[derive(Debug, Clone, Copy)]
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
    pool: Mutex<HashMap<String, Vec<Connection>>>,
}

impl Sandbox {
    /// A sandbox for `<database_dir>/<db_id>/<db_id>.sqlite` files.
    pub fn new(database_dir: PathBuf, timeout: Duration, max_rows: usize) -> Self {
        Self {
            database_dir,
            timeout,
            max_rows,
            pool: Mutex::new(HashMap::new()),
        }
    }

    /// The file of database `db_id`.
    pub fn db_path(&self, db_id: &str) -> PathBuf {
        self.database_dir
            .join(db_id)
            .join(format!("{db_id}.sqlite"))
    }

    /// Runs one read-only statement on `db_id`.
    pub fn run(&self, db_id: &str, sql: &str, fetch: Fetch) -> Result<Table, ExecError> {
        let conn = self.checkout(db_id)?;
        let deadline = Instant::now() + self.timeout;
        let timed_out = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&timed_out);
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || {
                let over = Instant::now() >= deadline;
                if over {
                    flag.store(true, Ordering::Relaxed);
                }
                over
            }),
        );
        let result = query(&conn, sql, fetch, self.max_rows);
        conn.progress_handler(0, None::<fn() -> bool>);
        let result = result.map_err(|e| match e {
            _ if timed_out.load(Ordering::Relaxed) => {
                ExecError::Timeout(self.timeout.as_secs_f64())
            }
            QueryError::Exec(e) => e,
            QueryError::Sqlite(e) => classify(e),
        });
        self.checkin(db_id, conn);
        result
    }

    fn checkout(&self, db_id: &str) -> Result<Connection, ExecError> {
        let pooled = self
            .pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(db_id)
            .and_then(Vec::pop);
        match pooled {
            Some(conn) => Ok(conn),
            None => open(&self.db_path(db_id)),
        }
    }

    fn checkin(&self, db_id: &str, conn: Connection) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        let idle = pool.entry(db_id.to_string()).or_default();
        if idle.len() < POOL_PER_DB {
            idle.push(conn);
        }
    }
}

enum QueryError {
    Exec(ExecError),
    Sqlite(rusqlite::Error),
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
    let mut bytes = 0usize;
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
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            let value = convert(row.get_ref(i)?);
            if let Value::Text(s) = &value {
                bytes += s.len();
            } else if let Value::Blob(b) = &value {
                bytes += b.len();
            }
            values.push(value);
        }
        if bytes > MAX_RESULT_BYTES {
            return Err(QueryError::Exec(ExecError::ResourceLimit(format!(
                "result larger than {MAX_RESULT_BYTES} bytes"
            ))));
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
        _ => ExecError::Failed(message),
    }
}

/// Opens a sandboxed connection to `path`.
fn open(path: &Path) -> Result<Connection, ExecError> {
    if !path.is_file() {
        return Err(ExecError::Failed(format!(
            "database {} not found",
            path.display()
        )));
    }
    let uri = format!("file:{}?mode=ro&immutable=1", uri_escape(path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let setup = || -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(&uri, flags)?;
        use rusqlite::config::DbConfig;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        // SAFETY: the handle is valid for the connection's lifetime, and sqlite3_limit only
        // lowers per-connection limits.
        unsafe {
            let db = conn.handle();
            ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES);
            ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES);
            ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_ATTACHED, 0);
        }
        conn.execute_batch(&format!(
            "PRAGMA query_only = 1; PRAGMA temp_store = FILE; PRAGMA cache_size = -{CACHE_KIB};"
        ))?;
        conn.authorizer(Some(authorize));
        Ok(conn)
    };
    setup().map_err(|e| ExecError::Failed(format!("cannot open database {}: {e}", path.display())))
}

/// The authorizer: reads only.
fn authorize(ctx: AuthContext<'_>) -> Authorization {
    let allowed = match ctx.action {
        AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => true,
        AuthAction::Function { function_name } => !DENIED_FUNCTIONS
            .iter()
            .any(|f| f.eq_ignore_ascii_case(function_name)),
        AuthAction::Pragma { pragma_name, .. } => READ_PRAGMAS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(pragma_name)),
        _ => false,
    };
    if allowed {
        Authorization::Allow
    } else {
        Authorization::Deny
    }
}

/// Percent-escapes a path for an SQLite `file:` URI.
fn uri_escape(path: &Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
