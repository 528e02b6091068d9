//! Hostile SQL under hard limits: statements that burn time inside single SQLite calls, in
//! `prepare`, in sorts and joins, or that build huge values, rows and results all end within
//! the time limit plus 1 s, the process stays under a memory bound, the database file does
//! not change, and the same pooled connection answers the next query.
//!
//! One test in its own binary, so that the peak memory it reads is its own.

mod spider_common;

use std::time::{Duration, Instant};

use planbench_core::{ExecError, Output, Task, Value};
use spider_common::{example, private_data_dir, private_task, sha256};

const DB: &str = "concert_singer";
const LIMIT: Duration = Duration::from_secs(2);
/// Peak resident memory of this whole test process.
const MEMORY_BOUND_MIB: u64 = 256;

/// `n` copies of character `c`, built by the query itself.
fn big(n: usize, c: char) -> String {
    format!("printf('%.*c', {n}, '{c}')")
}

/// `k` copies of the six-row singer table, joined.
fn cross(k: usize) -> String {
    (0..k)
        .map(|i| format!("singer t{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A chain of `links` CTEs, each using the previous one `uses` times.
fn cte_chain(links: usize, uses: usize) -> String {
    let mut parts = vec!["c0(v) AS (SELECT singer_id FROM singer)".to_string()];
    for i in 1..links {
        let terms: Vec<String> = (0..uses)
            .map(|_| format!("(SELECT max(v) FROM c{})", i - 1))
            .collect();
        parts.push(format!("c{i}(v) AS (SELECT {})", terms.join(" + ")));
    }
    format!("WITH {} SELECT v FROM c{}", parts.join(", "), links - 1)
}

fn corpus() -> Vec<(&'static str, String)> {
    let star = ["*"; 12].join(", ");
    let union = ["SELECT name FROM singer"; 200].join(" UNION ALL ");
    vec![
        // Quadratic string functions over values the query builds.
        (
            "instr",
            format!(
                "SELECT count(*) FROM {} WHERE instr({}, {} || 'z' || t0.name) > 0",
                cross(3),
                big(250_000, 'q'),
                big(125_000, 'q')
            ),
        ),
        (
            "replace",
            format!(
                "SELECT sum(length(replace({}, {} || t1.name, 'x'))) FROM {}",
                big(250_000, 'm'),
                big(125_000, 'm'),
                cross(3)
            ),
        ),
        (
            "trim",
            format!(
                "SELECT sum(length(rtrim({} || t0.name, {}))) FROM {}",
                big(250_000, 'r'),
                big(2_000, 's'),
                cross(4)
            ),
        ),
        (
            "like",
            format!(
                "SELECT count(*) FROM {} WHERE {} || t0.name LIKE '%' || printf('%.*c', 240, '_') || 'j'",
                cross(3),
                big(250_000, 'k')
            ),
        ),
        (
            "like-wildcards",
            format!(
                "SELECT count(*) FROM {} WHERE {} || t0.name LIKE '%' || replace(printf('%.*c', 120, 'a'), 'a', 'a%') || 'b'",
                cross(3),
                big(250_000, 'a')
            ),
        ),
        (
            "like-pattern-too-long",
            format!("SELECT {} LIKE {}", big(1000, 'k'), big(5_000, '%')),
        ),
        (
            "glob",
            format!(
                "SELECT count(*) FROM {} WHERE glob('*' || printf('%.*c', 200, '?') || 'j', {} || t0.name)",
                cross(3),
                big(250_000, 'g')
            ),
        ),
        // Work inside prepare.
        ("cte-doubling", cte_chain(30, 2)),
        ("cte-tripling", cte_chain(12, 3)),
        ("cte-long-chain", cte_chain(1_500, 1)),
        ("cte-under-the-guard", cte_chain(11, 2)),
        (
            "nested-parentheses",
            format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000)),
        ),
        ("compound", union),
        (
            "long-in-list",
            format!(
                "SELECT count(*) FROM singer WHERE age IN ({})",
                (0..30_000).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
            ),
        ),
        (
            "huge-statement-text",
            format!("SELECT '{}'", "x".repeat(20 << 20)),
        ),
        // Recursion, joins and sorts.
        (
            "recursive-forever",
            "WITH RECURSIVE r(n, s) AS (SELECT 1, '' UNION ALL \
             SELECT n + 1, substr(s || n, -500) FROM r) SELECT max(n) FROM r"
                .to_string(),
        ),
        (
            "recursive-doubling",
            "WITH RECURSIVE r(s) AS (SELECT 'ab' UNION ALL SELECT s || s FROM r) \
             SELECT max(length(s)) FROM r"
                .to_string(),
        ),
        (
            "self-join-sort",
            format!(
                "SELECT t0.name || t1.name || t8.name AS x FROM {} ORDER BY x DESC LIMIT 1",
                cross(9)
            ),
        ),
        (
            "sort-huge-values",
            format!(
                "SELECT {} || t0.name AS v FROM {} ORDER BY v LIMIT 1",
                big(250_000, 'z'),
                cross(5)
            ),
        ),
        (
            "window",
            format!(
                "SELECT sum(length(t0.name)) OVER (ORDER BY random() ROWS BETWEEN \
                 UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM {} LIMIT 1",
                cross(8)
            ),
        ),
        // Huge values, rows and results.
        ("zeroblob", "SELECT zeroblob(300000000)".to_string()),
        ("printf-width", "SELECT printf('%999999999d', 1)".to_string()),
        (
            "randomblob-rows",
            format!("SELECT randomblob(250000) FROM {}", cross(4)),
        ),
        (
            "zeroblob-columns",
            format!(
                "SELECT {} FROM singer",
                ["zeroblob(200000)"; 60].join(", ")
            ),
        ),
        (
            "group-concat",
            format!("SELECT group_concat({}) FROM {}", big(1_000, 'x'), cross(5)),
        ),
        (
            "json-array",
            format!(
                "SELECT json_group_array({}) FROM {}",
                big(100_000, 'j'),
                cross(2)
            ),
        ),
        (
            "wide-star",
            format!(
                "SELECT {star} FROM (SELECT {} AS v, 1 AS k) x, singer a, singer b",
                big(200_000, 'w')
            ),
        ),
        (
            "too-many-columns",
            format!(
                "SELECT {} FROM singer a, singer b",
                ["*"; 60].join(", ")
            ),
        ),
    ]
}

/// Peak and current resident memory of this process, in MiB.
fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[test]
fn hostile_statements_stop_within_their_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let data = private_data_dir(tmp.path(), DB);
    let file = data.join(format!("spider/database/{DB}/{DB}.sqlite"));
    let before = sha256(&file);
    let task = private_task(&data, LIMIT);
    let ex = example(DB, "SELECT count(*) FROM singer");
    let count = Ok(Output::Table {
        columns: vec!["count(*)".into()],
        rows: vec![vec![Value::Integer(6)]],
    });
    let (start_peak, _) = memory_mib();
    let mut report = Vec::new();
    for (name, sql) in corpus() {
        let start = Instant::now();
        let execution = task.execute(&ex, &sql);
        let took = start.elapsed();
        let (peak, rss) = memory_mib();
        let outcome = match &execution.result {
            Ok(Output::Table { rows, .. }) => format!("{} rows", rows.len()),
            Ok(other) => format!("{other:?}"),
            Err(e) => {
                let text = e.to_string();
                text.chars().take(90).collect()
            }
        };
        report.push(format!(
            "{name:>22} {:>6.2}s peak {peak:>4} MiB rss {rss:>4} MiB  {outcome}",
            took.as_secs_f64()
        ));
        assert!(
            took <= LIMIT + Duration::from_secs(1),
            "{name} took {took:?}: {outcome}"
        );
        // The statement's thread ends soon after, and the next query runs as usual.
        let wait = Instant::now();
        while task.statements_running() > 0 && wait.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(task.statements_running(), 0, "{name} still runs");
        // (A comment of its own keeps the memo from answering.)
        let next = task.execute(&ex, &format!("SELECT count(*) FROM singer -- after {name}"));
        assert_eq!(next.result, count, "after {name}");
        if name.starts_with("cte-doubling") || name.starts_with("cte-tripling") {
            assert!(
                matches!(&execution.result, Err(ExecError::ResourceLimit(m)) if m.contains("expands")),
                "{name}: {outcome}"
            );
        }
    }
    let (peak, _) = memory_mib();
    eprintln!("{}", report.join("\n"));
    eprintln!("peak resident memory: {peak} MiB (at start {start_peak} MiB)");
    assert!(peak < MEMORY_BOUND_MIB, "peak memory {peak} MiB");
    drop(task);
    assert_eq!(sha256(&file), before, "the database file changed");
}
