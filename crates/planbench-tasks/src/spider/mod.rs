//! Spider text-to-SQL (Yu et al., 2018) as in the paper: schema-and-question prompts with one
//! BM25-retrieved demonstration, SQL executed in a read-only sandbox, and execution accuracy
//! judged exactly as test-suite-sql-eval (or BIRD's rule).
//!
//! Programs are single SQL statements. [`Task::extract_program`] always terminates them with
//! `;`, and a (partial) program is complete when it ends with `;` ([`Task::is_complete`]), as
//! in the paper's MC-ToT where the step that ends the statement ends the search.

mod bm25;
mod compare;
mod connection;
mod data;
mod expansion;
mod lex;
mod paper_sql;
mod prompt;
mod sandbox;
mod sql_text;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use planbench_core::{
    Example, ExecError, Execution, OracleLevels, OracleRule, OracleTruth, Output, Prompt, Task,
    TaskError,
};

use crate::memo::{Memo, MemoLimits, MemoStats, MemoValue};
use crate::paper_levels::{unit_truth, PaperLosses};
use crate::protocol::{CorrectionFeedback, ErrorText};
use crate::templates::Templates;
use bm25::Bm25;
use data::Record;
use sandbox::{Fetch, Sandbox, Table};
pub use sql_text::SqlSteps;

/// The prompt templates, compiled in.
const TEMPLATES: &str = include_str!("../../../../tasks/spider.toml");
const TEMPLATES_PATH: &str = "tasks/spider.toml";
/// The templates only the paper's protocol switches use, compiled in.
const PAPER_TEMPLATES: &str = include_str!("../../templates/spider_paper.toml");
const PAPER_TEMPLATES_PATH: &str = "crates/planbench-tasks/templates/spider_paper.toml";
/// Rows of gold and prediction the paper's oracle compares.
const ORACLE_ROWS: usize = 5;

/// Which Spider file the examples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// `spider/dev.json`.
    Dev,
    /// `spider/train_spider.json`.
    Train,
}

planbench_core::named_enum!(Split, "Spider split", { Dev => "dev", Train => "train" });

impl Split {
    /// The split's file under `spider/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Split::Dev => "dev.json",
            Split::Train => "train_spider.json",
        }
    }
}

/// The execution-accuracy rule behind [`Task::is_correct`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpiderMetric {
    /// test-suite-sql-eval `--etype exec` with default flags: bag (or, when the gold query
    /// has ORDER BY, list) equality of rows up to a permutation of columns, DISTINCT removed.
    TestSuite,
    /// BIRD: the sets of rows are equal.
    Bird,
}

planbench_core::named_enum!(SpiderMetric, "Spider metric", {
    TestSuite => "test-suite",
    Bird => "bird",
});

/// Which spelling of a program every consumer (judges, oracle, correctness, the store) sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ScoredProgram {
    /// planbench: the statement as the model wrote it (its first spelling).
    #[default]
    Raw,
    /// The paper: the statement after its `normalize_sql` (identifiers and keywords
    /// lower-cased outside quotes, double quotes turned single, tokens joined by single
    /// spaces, one trailing `;`); the paper's oracle also runs the gold normalized.
    Normalized,
}

planbench_core::named_enum!(ScoredProgram, "scored program", {
    Raw => "raw",
    Normalized => "normalized",
});

/// Where the "No" query of a discrimination demonstration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DiscDemos {
    /// planbench: another training query on the same database that runs to a different
    /// result, for each of the BM25-closest training questions.
    #[default]
    OtherQuery,
    /// The paper (`preprocess_evaluator_prompt.py`, `retrievers/bm25.py`): the generator's own
    /// wrong candidate for the training question, retrieved by BM25 among the training
    /// questions that have one (supplied with [`SpiderTask::with_near_misses`]).
    NearMiss,
}

planbench_core::named_enum!(DiscDemos, "discrimination demonstrations", {
    OtherQuery => "other-query",
    NearMiss => "near-miss",
});

/// Where the data is and how programs run.
#[derive(Debug, Clone, PartialEq)]
pub struct SpiderConfig {
    /// The directory holding `spider/` (with its JSON files and `database/`).
    pub data_dir: PathBuf,
    pub split: Split,
    /// Time limit of one query.
    pub timeout: Duration,
    /// Most rows a query may return; a query returning more fails with a resource limit.
    pub max_rows: usize,
    pub metric: SpiderMetric,
    /// Demonstrations in discrimination prompts: for each of the `disc_shots` training
    /// questions closest to the example, its gold SQL (answer Yes) and a wrong query on the
    /// same database (answer No), as the paper's few-shot evaluator. 0: zero-shot.
    pub disc_shots: usize,
    /// Where each demonstration's wrong query comes from (planbench: another training query;
    /// the paper: the generator's own wrong candidate, see [`DiscDemos::NearMiss`]).
    pub disc_demos: DiscDemos,
    /// Bounds of the memo of candidate executions.
    pub memo: MemoLimits,
    /// How a failed query is shown to judges and to correction (planbench: with its message;
    /// the paper: `ERROR`).
    pub error_text: ErrorText,
    /// What correction prompts show besides schema, question and query (planbench: the
    /// execution result; the paper: nothing).
    pub correction_feedback: CorrectionFeedback,
    /// Where programs are cut into tree-search steps (planbench: top-level clauses; the
    /// paper: every clause keyword, subqueries included).
    pub sql_steps: SqlSteps,
    /// Which spelling of a program is scored and evaluated (planbench: as written; the
    /// paper: normalized by its `normalize_sql`).
    pub scored_program: ScoredProgram,
}

impl Default for SpiderConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("."),
            split: Split::Dev,
            timeout: Duration::from_secs(10),
            max_rows: 100_000,
            metric: SpiderMetric::TestSuite,
            disc_shots: 0,
            disc_demos: DiscDemos::default(),
            memo: MemoLimits::default(),
            error_text: ErrorText::default(),
            correction_feedback: CorrectionFeedback::default(),
            sql_steps: SqlSteps::default(),
            scored_program: ScoredProgram::default(),
        }
    }
}

/// A training example that can serve as a demonstration (its database is present).
#[derive(Debug)]
struct Demo {
    /// Position in `train_spider.json`.
    index: usize,
    record: Record,
}

/// The training examples that have a wrong candidate of the generator, indexed for retrieval.
#[derive(Debug)]
struct NearMisses {
    /// Positions in `SpiderTask::demos`, in training-file order.
    demos: Vec<usize>,
    /// The wrong candidate of each, in the same order.
    wrong: Vec<String>,
    retriever: Bm25,
}

/// Cache key of a gold execution: database, SQL as run, and whether only the first rows.
type GoldKey = (String, String, bool);

/// Key of a memoized candidate execution: database, SQL as run, and how many rows.
type RunKey = (String, String, Fetch);

impl MemoValue for Result<Table, ExecError> {
    fn weight(&self) -> usize {
        match self {
            Ok(table) => table.weight(),
            Err(e) => std::mem::size_of::<ExecError>() + e.to_string().len(),
        }
    }

    /// Failures that say nothing about the program (the database could not be opened, the
    /// process-wide SQLite heap was full) are not kept: the next request runs again.
    fn keep(&self) -> bool {
        !matches!(self, Err(e) if sandbox::is_transient(e))
    }
}

/// The Spider task. Cheap to share between threads: connections are pooled per database,
/// and gold executions and schemas are cached.
pub struct SpiderTask {
    config: SpiderConfig,
    templates: Templates,
    examples: Vec<Example>,
    demos: Vec<Demo>,
    retriever: Bm25,
    sandbox: Sandbox,
    schemas: Mutex<HashMap<String, String>>,
    gold_runs: Mutex<HashMap<GoldKey, Arc<Result<Table, ExecError>>>>,
    /// Candidate executions, one per (database, SQL as run, fetch).
    runs: Memo<RunKey, Result<Table, ExecError>>,
    /// Statements run in the sandbox for candidates (memo hits and derived results excluded).
    sandbox_runs: AtomicU64,
    /// Rendered discrimination demonstrations per (example id, with results).
    disc_demos: Mutex<HashMap<(String, bool), String>>,
    /// The generator's wrong candidates for training examples ([`DiscDemos::NearMiss`]).
    near_misses: Option<NearMisses>,
}

impl SpiderTask {
    /// Loads the split's examples and the training demonstrations, and indexes the latter.
    ///
    /// Examples whose database file is missing are skipped (one warning gives their number
    /// and database ids). A missing or malformed file, an example naming a database that
    /// `tables.json` does not list, or a split left without examples is an error.
    pub fn load(config: SpiderConfig) -> Result<Self, TaskError> {
        if config.max_rows == 0 || config.timeout.is_zero() {
            return Err(TaskError::Invalid(
                "Spider needs a positive time limit and row limit".into(),
            ));
        }
        let root = config.data_dir.join("spider");
        let tables_path = root.join("tables.json");
        let known = data::read_db_ids(&tables_path)?;
        let train_path = root.join(Split::Train.file_name());
        let train = data::read_records(&train_path)?;
        let split_path = root.join(config.split.file_name());
        let records = match config.split {
            Split::Dev => data::read_records(&split_path)?,
            Split::Train => train.clone(),
        };
        for (path, records) in [(&train_path, &train), (&split_path, &records)] {
            if let Some((i, r)) = records
                .iter()
                .enumerate()
                .find(|(_, r)| !known.contains(&r.db_id))
            {
                return Err(TaskError::Invalid(format!(
                    "{}: example {i} uses database `{}`, which {} does not describe",
                    path.display(),
                    r.db_id,
                    tables_path.display()
                )));
            }
        }

        let sandbox = Sandbox::new(root.join("database"), config.timeout, config.max_rows);
        let mut present: HashMap<String, bool> = HashMap::new();
        let mut has_db = |db: &str| {
            *present
                .entry(db.to_string())
                .or_insert_with(|| sandbox.db_path(db).is_file())
        };

        let mut examples = Vec::with_capacity(records.len());
        let mut missing: BTreeMap<String, usize> = BTreeMap::new();
        for (index, r) in records.into_iter().enumerate() {
            if !has_db(&r.db_id) {
                *missing.entry(r.db_id).or_default() += 1;
                continue;
            }
            examples.push(Example {
                id: format!("{}/{index}", config.split),
                index,
                question: r.question,
                gold: r.query,
                db_id: Some(r.db_id),
            });
        }
        if !missing.is_empty() {
            let count: usize = missing.values().sum();
            let dbs: Vec<&str> = missing.keys().map(String::as_str).collect();
            tracing::warn!(
                count,
                databases = %dbs.join(", "),
                "skipping {count} examples of {} whose database is missing",
                split_path.display()
            );
        }
        if examples.is_empty() {
            return Err(TaskError::Invalid(format!(
                "{}: no example has its database under {}",
                split_path.display(),
                root.join("database").display()
            )));
        }

        let demos: Vec<Demo> = train
            .into_iter()
            .enumerate()
            .filter(|(_, r)| has_db(&r.db_id))
            .map(|(index, record)| Demo { index, record })
            .collect();
        let retriever = Bm25::new(demos.iter().map(|d| d.record.question.as_str()));
        let mut templates = Templates::parse(Path::new(TEMPLATES_PATH), TEMPLATES)?;
        if config.correction_feedback == CorrectionFeedback::None {
            templates.extend(Path::new(PAPER_TEMPLATES_PATH), PAPER_TEMPLATES)?;
        }
        let runs = Memo::new(config.memo);

        Ok(Self {
            config,
            templates,
            examples,
            demos,
            retriever,
            sandbox,
            schemas: Mutex::new(HashMap::new()),
            gold_runs: Mutex::new(HashMap::new()),
            runs,
            sandbox_runs: AtomicU64::new(0),
            disc_demos: Mutex::new(HashMap::new()),
            near_misses: None,
        })
    }

    /// The task with the generator's wrong candidates for training examples (`train/<index>`
    /// → SQL), the "No" queries of [`DiscDemos::NearMiss`] demonstrations: retrieval then
    /// looks only at these training questions, as the paper's evaluator corpus keeps only the
    /// training examples with a wrong candidate whose result differs from the gold's (choosing
    /// it is the caller's part). An id that names no training example whose database is
    /// present is an error.
    pub fn with_near_misses(mut self, wrong: HashMap<String, String>) -> Result<Self, TaskError> {
        let mut found: Vec<(usize, String)> = Vec::with_capacity(wrong.len());
        for (id, sql) in wrong {
            let position = id
                .strip_prefix("train/")
                .and_then(|i| i.parse::<usize>().ok())
                .and_then(|index| self.demos.binary_search_by_key(&index, |d| d.index).ok())
                .ok_or_else(|| {
                    TaskError::Invalid(format!(
                        "near miss for `{id}`: no such training example with its database"
                    ))
                })?;
            found.push((position, sql));
        }
        found.sort_unstable_by_key(|(position, _)| *position);
        let (demos, wrong): (Vec<usize>, Vec<String>) = found.into_iter().unzip();
        let retriever = Bm25::new(
            demos
                .iter()
                .map(|&d| self.demos[d].record.question.as_str()),
        );
        self.near_misses = Some(NearMisses {
            demos,
            wrong,
            retriever,
        });
        lock(&self.disc_demos).clear();
        Ok(self)
    }

    /// The `k` training examples whose questions are closest to `example`'s under BM25 (never
    /// itself), closest first: those whose wrong candidates [`DiscDemos::NearMiss`] can use.
    pub fn training_neighbours(&self, example: &Example, k: usize) -> Vec<Example> {
        self.demonstrations(example, k)
            .into_iter()
            .map(Self::demo_example)
            .collect()
    }

    /// The examples whose database is present, in file order.
    pub fn examples(&self) -> &[Example] {
        &self.examples
    }

    /// The configuration the task was loaded with.
    pub fn config(&self) -> &SpiderConfig {
        &self.config
    }

    /// The paper's oracle score (OSU-NLP-Group/llm-planning-eval, `OracleEvaluator`, the
    /// branch without simulated noise), on its own scale: -1 when the gold (normalized under
    /// [`ScoredProgram::Normalized`]) or the program fails to execute; when gold has no rows, 1 if the program has none either, else 0;
    /// otherwise the soft F1 of the first 5 rows (which can slightly exceed 1, as in the
    /// reference). [`Task::oracle_score`] clamps it to [0, 1].
    pub fn paper_oracle(&self, example: &Example, program: &str) -> f64 {
        let Some(db) = example.db_id.as_deref() else {
            return -1.0;
        };
        let gold = self.gold_run(db, &self.oracle_gold(example), Fetch::First(ORACLE_ROWS));
        let Ok(gold) = gold.as_ref() else {
            return -1.0;
        };
        let pred = self.first_rows(db, program, ORACLE_ROWS);
        let Ok(pred) = pred.as_ref() else {
            return -1.0;
        };
        match (gold.rows.is_empty(), pred.rows.is_empty()) {
            (true, true) => 1.0,
            (true, false) => 0.0,
            _ => compare::soft_f1(&gold.rows, &pred.rows),
        }
    }

    /// The paper's evaluator losses for `program` (see [`OracleLevels::Paper`]): the gold or
    /// the program failing to execute as the paper's `OracleEvaluator` treats them; when gold
    /// has no rows, an empty result is best (flipped: middle) and a non-empty one middle
    /// (flipped: best); otherwise the similarity of the first 5 rows (`rule`: the paper's soft
    /// F1, unclamped, or the official correctness as 0 or 1).
    fn paper_losses(&self, example: &Example, program: &str, rule: OracleRule) -> PaperLosses {
        let Some(db) = example.db_id.as_deref() else {
            return PaperLosses::GOLD_FAILED;
        };
        let gold = self.gold_run(db, &self.oracle_gold(example), Fetch::First(ORACLE_ROWS));
        let Ok(gold) = gold.as_ref() else {
            return PaperLosses::GOLD_FAILED;
        };
        let pred = self.first_rows(db, program, ORACLE_ROWS);
        let Ok(pred) = pred.as_ref() else {
            return PaperLosses::NOT_EXECUTABLE;
        };
        match (rule, gold.rows.is_empty(), pred.rows.is_empty()) {
            (OracleRule::Paper, true, true) => PaperLosses {
                kept: -1.0,
                flipped: Some(0.0),
            },
            (OracleRule::Paper, true, false) => PaperLosses {
                kept: 0.0,
                flipped: Some(-1.0),
            },
            (OracleRule::Paper, false, _) => {
                PaperLosses::similarity(compare::soft_f1(&gold.rows, &pred.rows))
            }
            (OracleRule::Exact, _, _) => {
                PaperLosses::similarity(f64::from(u8::from(self.is_correct(example, program))))
            }
        }
    }

    /// Counters of the memo of candidate executions.
    pub fn memo_stats(&self) -> MemoStats {
        self.runs.stats()
    }

    /// Statements executing now, including any abandoned past their time limit (each ends
    /// soon after: every single SQLite call is bounded).
    pub fn statements_running(&self) -> usize {
        self.sandbox.running()
    }

    /// Candidate statements run in the sandbox so far; memo hits, and results derived from an
    /// execution of the same statement with another fetch, are not counted.
    pub fn sandbox_runs(&self) -> u64 {
        self.sandbox_runs.load(Ordering::Relaxed)
    }

    /// A candidate's execution on `db`, memoized by (database, SQL as run, fetch).
    ///
    /// All rows: when the first rows of the same statement are held and the statement ran out
    /// of rows before their count (and within the row limit), they are the whole result.
    fn candidate_run(&self, db: &str, sql: &str, fetch: Fetch) -> Arc<Result<Table, ExecError>> {
        let key = (db.to_string(), sql.to_string(), fetch);
        self.runs.get_or_run(key, || {
            if fetch == Fetch::All {
                if let Some(whole) = self.whole_from_first_rows(db, sql) {
                    return Ok(whole);
                }
            }
            self.sandbox_runs.fetch_add(1, Ordering::Relaxed);
            self.sandbox.run(db, sql, fetch)
        })
    }

    /// The whole result of `sql`, when a memoized first-rows execution already read it all.
    fn whole_from_first_rows(&self, db: &str, sql: &str) -> Option<Table> {
        let key = (db.to_string(), sql.to_string(), Fetch::First(ORACLE_ROWS));
        let first = self.runs.peek(&key)?;
        match first.as_ref() {
            Ok(t) if t.rows.len() < ORACLE_ROWS && t.rows.len() <= self.config.max_rows => {
                Some(t.clone())
            }
            _ => None,
        }
    }

    /// The first `n` rows of `sql`: cut from a memoized successful execution of all its rows
    /// (the same rows a first-rows fetch reads), or run and memoized on their own.
    fn first_rows(&self, db: &str, sql: &str, n: usize) -> Arc<Result<Table, ExecError>> {
        let all = (db.to_string(), sql.to_string(), Fetch::All);
        if let Some(whole) = self.runs.peek(&all) {
            if let Ok(t) = whole.as_ref() {
                return Arc::new(Ok(Table {
                    columns: t.columns.clone(),
                    rows: t.rows.iter().take(n).cloned().collect(),
                }));
            }
        }
        self.candidate_run(db, sql, Fetch::First(n))
    }

    /// The gold query's execution, computed once per (database, SQL, fetch). A failure (say,
    /// a time-out under load) is retried once and never kept, so a later call tries again.
    fn gold_run(&self, db: &str, sql: &str, fetch: Fetch) -> Arc<Result<Table, ExecError>> {
        let key = (
            db.to_string(),
            sql.to_string(),
            matches!(fetch, Fetch::First(_)),
        );
        if let Some(hit) = lock(&self.gold_runs).get(&key) {
            return Arc::clone(hit);
        }
        let mut run = self.sandbox.run(db, sql, fetch);
        if let Err(e) = &run {
            tracing::warn!(db, error = %e, "a gold query failed; retrying it once");
            run = self.sandbox.run(db, sql, fetch);
        }
        let run = Arc::new(run);
        if run.is_err() {
            return run;
        }
        Arc::clone(lock(&self.gold_runs).entry(key).or_insert(run))
    }

    /// The gold query as the paper's oracle runs it: as written, or normalized when programs
    /// are (the paper's preprocessing normalizes the gold it scores against).
    fn oracle_gold(&self, example: &Example) -> String {
        match self.config.scored_program {
            ScoredProgram::Raw => example.gold.clone(),
            ScoredProgram::Normalized => paper_sql::normalize(&example.gold),
        }
    }

    /// The gold query as the configured metric runs it.
    fn gold_sql(&self, example: &Example) -> String {
        match self.config.metric {
            SpiderMetric::TestSuite => sql_text::test_suite_rewrite(&example.gold),
            SpiderMetric::Bird => example.gold.clone(),
        }
    }

    /// The schema text of `db`, read once.
    fn schema(&self, db: &str) -> Result<String, TaskError> {
        if let Some(s) = lock(&self.schemas).get(db) {
            return Ok(s.clone());
        }
        let text = prompt::schema_text(&self.sandbox, db).map_err(|e| {
            TaskError::Invalid(format!("cannot read the schema of database `{db}`: {e}"))
        })?;
        lock(&self.schemas).insert(db.to_string(), text.clone());
        Ok(text)
    }

    /// The demonstration for `example`: the training question closest under BM25 (never the
    /// example itself on the train split).
    fn demonstration(&self, example: &Example) -> Option<&Demo> {
        self.demonstrations(example, 1).into_iter().next()
    }

    /// The `k` training questions closest to `example` under BM25 (never itself).
    fn demonstrations(&self, example: &Example, k: usize) -> Vec<&Demo> {
        let own = match self.config.split {
            Split::Train => self
                .demos
                .binary_search_by_key(&example.index, |d| d.index)
                .ok(),
            Split::Dev => None,
        };
        self.retriever
            .top(&example.question, own, k)
            .into_iter()
            .map(|i| &self.demos[i])
            .collect()
    }

    /// The training example behind a demonstration, to execute and judge queries for it.
    fn demo_example(demo: &Demo) -> Example {
        Example {
            id: format!("train/{}", demo.index),
            index: demo.index,
            question: demo.record.question.clone(),
            gold: demo.record.query.clone(),
            db_id: Some(demo.record.db_id.clone()),
        }
    }

    /// A wrong query for `demo`: the first other training query on the same database (in file
    /// order after the demonstration, wrapping around) that executes to a different result.
    fn wrong_query(&self, demo: &Demo) -> Option<String> {
        let example = Self::demo_example(demo);
        let start = self.demos.iter().position(|d| d.index == demo.index)?;
        let (after, before) = self.demos.split_at(start);
        before
            .iter()
            .chain(after)
            .filter(|d| d.record.db_id == demo.record.db_id && d.index != demo.index)
            .map(|d| &d.record.query)
            .find(|sql| self.execute(&example, sql).is_ok() && !self.is_correct(&example, sql))
            .map(|sql| sql_text::normalize(sql))
    }

    /// The training examples of `example`'s discrimination demonstrations, each with its wrong
    /// query, as [`SpiderConfig::disc_demos`] says.
    fn demonstration_pairs(&self, example: &Example) -> Result<Vec<(&Demo, String)>, TaskError> {
        let k = self.config.disc_shots;
        match self.config.disc_demos {
            DiscDemos::OtherQuery => Ok(self
                .demonstrations(example, k)
                .into_iter()
                .filter_map(|demo| Some((demo, self.wrong_query(demo)?)))
                .collect()),
            DiscDemos::NearMiss => {
                let misses = self.near_misses.as_ref().ok_or_else(|| {
                    TaskError::Invalid(
                        "near-miss demonstrations need the generator's wrong candidates \
                         (SpiderTask::with_near_misses)"
                            .into(),
                    )
                })?;
                let own = match self.config.split {
                    Split::Train => misses
                        .demos
                        .iter()
                        .position(|&d| self.demos[d].index == example.index),
                    Split::Dev => None,
                };
                Ok(misses
                    .retriever
                    .top(&example.question, own, k)
                    .into_iter()
                    .map(|i| (&self.demos[misses.demos[i]], misses.wrong[i].clone()))
                    .collect())
            }
        }
    }

    /// The rendered demonstrations of a discrimination prompt (empty when zero-shot).
    fn discrimination_demos(
        &self,
        example: &Example,
        with_result: bool,
    ) -> Result<String, TaskError> {
        if self.config.disc_shots == 0 {
            return Ok(String::new());
        }
        let key = (example.id.clone(), with_result);
        if let Some(hit) = lock(&self.disc_demos).get(&key) {
            return Ok(hit.clone());
        }
        let mut text = String::new();
        for (demo, wrong) in self.demonstration_pairs(example)? {
            let demo_example = Self::demo_example(demo);
            let right = sql_text::normalize(&demo.record.query);
            for (sql, answer) in [(right.as_str(), "Yes"), (wrong.as_str(), "No")] {
                let result = prompt::execution_text(
                    &self.execute(&demo_example, sql),
                    self.config.error_text,
                );
                let mut values = vec![
                    ("question", demo.record.question.as_str()),
                    ("sql", sql),
                    ("answer", answer),
                ];
                let name = if with_result {
                    values.push(("result", &result));
                    "demo_with_result"
                } else {
                    "demo"
                };
                text.push_str(&self.templates.render(name, &values)?);
                text.push_str("\n\n");
            }
        }
        lock(&self.disc_demos).insert(key, text.clone());
        Ok(text)
    }

    /// The `task` template for a database and question.
    fn task_text(&self, db: &str, question: &str) -> Result<String, TaskError> {
        let schema = self.schema(db)?;
        self.templates.render(
            "task",
            &[("db_id", db), ("schema", &schema), ("question", question)],
        )
    }

    /// Executes `sql` on the example's database (all rows, memoized).
    fn run_all(&self, example: &Example, sql: &str) -> Result<Table, ExecError> {
        let db = example
            .db_id
            .as_deref()
            .ok_or_else(|| ExecError::Failed(format!("example {} has no database", example.id)))?;
        self.candidate_run(db, sql, Fetch::All).as_ref().clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn db_of(example: &Example) -> Result<&str, TaskError> {
    example
        .db_id
        .as_deref()
        .ok_or_else(|| TaskError::Invalid(format!("example {} has no database", example.id)))
}

impl Task for SpiderTask {
    fn name(&self) -> &str {
        "spider"
    }

    /// `tasks/spider.toml`, followed by the paper-protocol templates when a switch uses them.
    fn prompt_templates(&self) -> &str {
        self.templates.text()
    }

    fn generation_prompt(&self, example: &Example) -> Result<Prompt, TaskError> {
        let mut parts = Vec::with_capacity(2);
        if let Some(demo) = self.demonstration(example) {
            let r = &demo.record;
            let task = self.task_text(&r.db_id, &r.question)?;
            parts.push(format!("{task}\n{}", sql_text::normalize(&r.query)));
        }
        parts.push(self.task_text(db_of(example)?, &example.question)?);
        let text = self
            .templates
            .render("generate", &[("examples", &parts.join("\n\n"))])?;
        Ok(self.templates.chat(text))
    }

    fn correction_prompt(
        &self,
        example: &Example,
        program: &str,
        execution: &Execution,
    ) -> Result<Prompt, TaskError> {
        let db = db_of(example)?;
        let schema = self.schema(db)?;
        let mut values = vec![
            ("db_id", db),
            ("schema", schema.as_str()),
            ("question", example.question.as_str()),
            ("sql", program),
        ];
        let result;
        let name = match self.config.correction_feedback {
            CorrectionFeedback::Execution => {
                result = prompt::execution_text(execution, self.config.error_text);
                values.push(("result", &result));
                "correct"
            }
            CorrectionFeedback::None => "correct_without_result",
        };
        let text = self.templates.render(name, &values)?;
        Ok(self.templates.chat(text))
    }

    fn discrimination_prompt(
        &self,
        example: &Example,
        program: &str,
        execution: Option<&Execution>,
    ) -> Result<Prompt, TaskError> {
        let demos = self.discrimination_demos(example, execution.is_some())?;
        let base = [
            ("question", example.question.as_str()),
            ("sql", program),
            ("demos", demos.as_str()),
        ];
        let text = match execution {
            None => self.templates.render("discriminate", &base)?,
            Some(execution) => {
                let result = prompt::execution_text(execution, self.config.error_text);
                let mut values = base.to_vec();
                values.push(("result", &result));
                self.templates.render("discriminate_with_result", &values)?
            }
        };
        Ok(self.templates.chat(text))
    }

    /// The answer opens a SQL fence and the program follows directly, so a partial program
    /// appended to this prefix is continued as is, and completions are plain SQL (no prefix
    /// to strip); forcing `SELECT` too would split the program between prefix and completion.
    fn response_prefix(&self) -> String {
        "```sql\n".to_string()
    }

    fn stop_sequences(&self) -> Vec<String> {
        vec!["```".to_string()]
    }

    /// The statement in the completion ([`ScoredProgram::Normalized`]: as the paper
    /// normalizes it).
    fn extract_program(&self, completion: &str) -> String {
        let statement = sql_text::extract_statement(completion);
        match self.config.scored_program {
            ScoredProgram::Normalized if !statement.is_empty() => paper_sql::normalize(&statement),
            _ => statement,
        }
    }

    fn normalize(&self, program: &str) -> String {
        sql_text::normalize(program)
    }

    fn split_steps(&self, program: &str) -> Vec<String> {
        sql_text::split_steps(program, self.config.sql_steps)
    }

    fn is_complete(&self, program: &str) -> bool {
        sql_text::ends_statement(program)
    }

    /// Runs `program` once per distinct (database, program): later calls return the memoized
    /// result, with `seconds` the time this call took.
    fn execute(&self, example: &Example, program: &str) -> Execution {
        let start = Instant::now();
        let result = self.run_all(example, program).map(|t| Output::Table {
            columns: t.columns,
            rows: t.rows,
        });
        Execution {
            result,
            seconds: start.elapsed().as_secs_f64(),
        }
    }

    fn is_correct(&self, example: &Example, program: &str) -> bool {
        let Some(db) = example.db_id.as_deref() else {
            return false;
        };
        match self.config.metric {
            SpiderMetric::TestSuite => {
                let gold_sql = self.gold_sql(example);
                let order_matters = gold_sql.to_lowercase().contains("order by");
                let gold = self.gold_run(db, &gold_sql, Fetch::All);
                let Ok(gold) = gold.as_ref() else {
                    return false;
                };
                // evaluation.py replaces " value " placeholders before anything else.
                let pred_sql = sql_text::test_suite_rewrite(&program.replace(" value ", " 1 "));
                match self.candidate_run(db, &pred_sql, Fetch::All).as_ref() {
                    Ok(pred) => compare::result_eq(&gold.rows, &pred.rows, order_matters),
                    Err(_) => false,
                }
            }
            SpiderMetric::Bird => {
                let gold = self.gold_run(db, &example.gold, Fetch::All);
                let Ok(gold) = gold.as_ref() else {
                    return false;
                };
                match self.candidate_run(db, program, Fetch::All).as_ref() {
                    Ok(pred) => compare::set_eq(&gold.rows, &pred.rows),
                    Err(_) => false,
                }
            }
        }
    }

    fn check_judgeable(&self, example: &Example) -> Result<(), String> {
        let db = db_of(example).map_err(|e| e.to_string())?;
        match self
            .gold_run(db, &self.gold_sql(example), Fetch::All)
            .as_ref()
        {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("the gold query of {} fails: {e}", example.id)),
        }
    }

    fn oracle_score(&self, example: &Example, program: &str, rule: OracleRule) -> f64 {
        match rule {
            OracleRule::Paper => self.paper_oracle(example, program).clamp(0.0, 1.0),
            OracleRule::Exact => f64::from(u8::from(self.is_correct(example, program))),
        }
    }

    /// [`OracleLevels::Unit`]: [`Task::oracle_score`], flipped to `1 - score`.
    /// [`OracleLevels::Paper`]: the paper's `OracleEvaluator` levels rescaled to `(1 - loss) / 2`
    /// (see [`SpiderTask::paper_oracle`] for the similarity): a gold that fails makes every
    /// candidate 0 with no flip; a program that fails is 0 (flipped 1); an executed one is
    /// `(1 + F1) / 2` (flipped `(2 - F1) / 2`), so it ranks above any program that fails.
    fn oracle_truth(
        &self,
        example: &Example,
        program: &str,
        rule: OracleRule,
        levels: OracleLevels,
    ) -> OracleTruth {
        let correct = self.is_correct(example, program);
        match levels {
            OracleLevels::Unit => unit_truth(self.oracle_score(example, program, rule), correct),
            OracleLevels::Paper => self.paper_losses(example, program, rule).truth(correct),
        }
    }
}
