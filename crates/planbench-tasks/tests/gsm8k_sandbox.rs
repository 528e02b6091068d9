//! The program sandbox: what runs, what is refused, and that limits hold and the pool recovers.

mod gsm8k_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gsm8k_support::worker;
use planbench_core::{ExecError, Output, Value};
use planbench_tasks::gsm8k::sandbox::{Sandbox, SandboxLimits};
use planbench_tasks::gsm8k::WorkerCommand;

const TIMEOUT: Duration = Duration::from_secs(1);

fn sandbox() -> Sandbox {
    Sandbox::new(
        worker(),
        SandboxLimits {
            timeout: TIMEOUT,
            memory_bytes: 256 << 20,
        },
    )
}

fn answer(sandbox: &Sandbox, program: &str) -> Value {
    match sandbox.run(program).result {
        Ok(Output::Answer(value)) => value,
        other => panic!("{program:?} should run, got {other:?}"),
    }
}

#[test]
fn runs_program_of_thought_python() {
    let sandbox = sandbox();
    let cases = [
        ("answer = 6 * 7", Value::Integer(42)),
        ("answer = 7 / 2", Value::Real(3.5)),
        ("import math\nanswer = math.floor(math.sqrt(17))", Value::Integer(4)),
        ("from math import ceil\nanswer = ceil(2.1)", Value::Integer(3)),
        ("answer = sum([i * i for i in range(4)])", Value::Integer(14)),
        (
            "def total(prices):\n    s = 0\n    for p in prices:\n        s += p\n    return s\nanswer = total([1.5, 2.5])",
            Value::Real(4.0),
        ),
        ("answer = round(2 / 3, 2)", Value::Real(0.67)),
        ("answer = 'ten'", Value::Text("ten".into())),
        ("answer = True", Value::Integer(1)),
        ("answer = None", Value::Null),
        ("x = 5", Value::Null),
        ("answer = [1, 2]", Value::Text("[1, 2]".into())),
        ("answer = 2 ** 70", Value::Text("1180591620717411303424".into())),
        ("answer = 'ab' * 5000", Value::Text(format!("{}...", "ab".repeat(2048)))),
        ("print('hello')\nanswer = 1", Value::Integer(1)),
    ];
    let long = sandbox.run("raise ValueError('x' * 100000)").result;
    assert!(
        matches!(&long, Err(ExecError::Failed(m)) if m.len() < 5000 && m.contains("ValueError")),
        "{long:?}"
    );
    for (program, expected) in cases {
        assert_eq!(answer(&sandbox, program), expected, "{program}");
    }
}

/// Runs `program`, checks the error it gets and how long that took, then checks that the
/// sandbox still runs the next program.
fn assert_stopped(
    sandbox: &Sandbox,
    program: &str,
    within: Duration,
    check: impl Fn(&ExecError) -> bool,
) {
    let started = Instant::now();
    let execution = sandbox.run(program);
    let elapsed = started.elapsed();
    println!(
        "{:>10.3?} {:?} -> {:?}",
        elapsed,
        program.get(..60).unwrap_or(program),
        execution.result
    );
    match &execution.result {
        Err(error) => assert!(check(error), "{program:?}: unexpected error {error:?}"),
        Ok(output) => panic!("{program:?} should be stopped, got {output:?}"),
    }
    assert!(
        elapsed < within,
        "{program:?} took {elapsed:?} (limit {within:?})"
    );
    assert_eq!(
        answer(sandbox, "answer = 1 + 1"),
        Value::Integer(2),
        "the sandbox must keep working after {program:?}"
    );
}

#[test]
fn refuses_escapes() {
    let sandbox = sandbox();
    let quick = Duration::from_secs(2);
    let refused = |e: &ExecError| matches!(e, ExecError::Refused(_));
    for program in [
        "import os\nanswer = os.getcwd()",
        "import subprocess\nanswer = subprocess.run(['ls'])",
        "from pathlib import Path\nanswer = Path('/etc/passwd').read_text()",
        "import socket",
        "import sys\nanswer = sys.path",
        "def f():\n    import os\n    return os.listdir('/')\nanswer = f()",
    ] {
        assert_stopped(&sandbox, program, quick, refused);
    }
    assert_stopped(
        &sandbox,
        "answer = open('/etc/passwd').read()",
        quick,
        refused,
    );
    // Not imports, but still no way out: the interpreter has no such builtins.
    let failed = |e: &ExecError| matches!(e, ExecError::Failed(m) if m.contains("NameError"));
    for program in [
        "os = __import__('os')\nanswer = os.getcwd()",
        "answer = eval('1 + 1')",
        "exec('import os')",
        "answer = compile('1', 'x', 'eval')",
        "answer = globals()['__builtins__']",
    ] {
        assert_stopped(&sandbox, program, quick, failed);
    }
}

#[test]
fn stops_runaway_programs() {
    let sandbox = sandbox();
    // The wall-clock budget: the timeout plus the parent's grace plus a worker restart.
    let bound = Duration::from_secs(3);
    let timeout = |e: &ExecError| matches!(e, ExecError::Timeout(t) if *t == TIMEOUT.as_secs_f64());
    let limited = |e: &ExecError| matches!(e, ExecError::ResourceLimit(_) | ExecError::Timeout(_));
    assert_stopped(&sandbox, "while True:\n    pass", bound, timeout);
    assert_stopped(&sandbox, "x = 0\nwhile True:\n    x += 1", bound, timeout);
    assert_stopped(&sandbox, "x = [0] * 10**10", bound, limited);
    assert_stopped(&sandbox, "s = 'a' * 10**12", bound, limited);
    assert_stopped(
        &sandbox,
        "xs = []\nwhile True:\n    xs.append([0] * 1000)",
        bound,
        limited,
    );
    assert_stopped(
        &sandbox,
        "s = 'a'\nwhile True:\n    s = s + s",
        bound,
        limited,
    );
    assert_stopped(&sandbox, "answer = 10**10**10", bound, limited);
    assert_stopped(&sandbox, "answer = 9**9**9**9", bound, limited);
    assert_stopped(
        &sandbox,
        "d = {}\nfor i in range(10**9):\n    d[i] = str(i) * 10",
        bound,
        limited,
    );
    let recursion = |e: &ExecError| match e {
        ExecError::Failed(message) => message.contains("RecursionError"),
        other => limited(other),
    };
    assert_stopped(
        &sandbox,
        "def f(n):\n    return f(n + 1)\nanswer = f(0)",
        bound,
        recursion,
    );
    assert_stopped(
        &sandbox,
        "answer = eval('(' * 100000 + ')' * 100000)",
        bound,
        |_| true,
    );
    assert_stopped(
        &sandbox,
        &format!("answer = {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        bound,
        |_| true,
    );
    assert_stopped(
        &sandbox,
        &format!("answer = {}", "-".repeat(1_000_000) + "1"),
        bound,
        |_| true,
    );
}

#[test]
fn serves_threads_concurrently() {
    let sandbox = Arc::new(sandbox());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let sandbox = Arc::clone(&sandbox);
            std::thread::spawn(move || {
                for i in 0..25 {
                    let program = if i == 10 && t == 0 {
                        "while True: pass".to_string()
                    } else {
                        format!("answer = {t} * 100 + {i}")
                    };
                    let result = sandbox.run(&program).result;
                    if i == 10 && t == 0 {
                        assert!(matches!(result, Err(ExecError::Timeout(_))));
                    } else {
                        assert_eq!(result, Ok(Output::Answer(Value::Integer(t * 100 + i))));
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

/// Throughput and start-up cost, printed for the record (`--nocapture`).
#[test]
fn measures_throughput_and_cold_start() {
    let sandbox = sandbox();
    let started = Instant::now();
    sandbox.warm_up().unwrap();
    let cold = started.elapsed();
    let n = 2000;
    let started = Instant::now();
    for i in 0..n {
        assert_eq!(
            answer(&sandbox, &format!("x = {i}\nanswer = x + 1")),
            Value::Integer(i + 1)
        );
    }
    let per_second = n as f64 / started.elapsed().as_secs_f64();
    println!("sandbox: cold worker start {cold:?}; {per_second:.0} trivial programs/s through one worker");
    assert!(cold < Duration::from_secs(2), "cold start took {cold:?}");
    assert!(per_second > 100.0, "only {per_second:.0} programs/s");
}

/// A stand-in worker: a shell script that completes the handshake, reads one job and then does
/// `then`. It checks the parent's side of the guarantees independently of the interpreter.
fn fake_worker(then: &str) -> Sandbox {
    let script = format!(r#"read hello; echo '{{"Ready":{{"version":3}}}}'; read job; {then}"#);
    Sandbox::new(
        WorkerCommand::new("/bin/sh").arg("-c").arg(script),
        SandboxLimits {
            timeout: TIMEOUT,
            memory_bytes: 256 << 20,
        },
    )
}

#[test]
fn the_parent_kills_silent_workers_and_classifies_deaths() {
    let started = Instant::now();
    let result = fake_worker("exec /bin/sleep 30").run("answer = 1").result;
    let elapsed = started.elapsed();
    assert_eq!(result, Err(ExecError::Timeout(1.0)));
    assert!(
        elapsed >= TIMEOUT && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );

    let result = fake_worker("exit 65").run("answer = 1").result;
    assert_eq!(
        result,
        Err(ExecError::ResourceLimit(
            "memory limit of 256 MiB exceeded".into()
        ))
    );
    let result = fake_worker("kill -SEGV $$").run("answer = 1").result;
    assert!(
        matches!(&result, Err(ExecError::ResourceLimit(m)) if m.contains("crashed")),
        "{result:?}"
    );
    let result = fake_worker("echo nonsense; exec /bin/sleep 30")
        .run("answer = 1")
        .result;
    assert!(
        matches!(&result, Err(ExecError::Failed(m)) if m.contains("protocol error")),
        "{result:?}"
    );
}
