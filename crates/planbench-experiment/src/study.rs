//! Studies: a base spec and axes (tasks, planners, oracle accuracies, LLM-judge variants,
//! seeds, LLM-call budgets). Every cell of the grid is an ordinary stored, resumable run whose
//! id derives from its own spec, so cells are shared with `planbench run` and other studies.

use std::path::{Path, PathBuf};

use planbench_planners::{Budget, LlmScore, LlmVariant, PlannerKind};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::runner::{Engine, ResolvedRun, RunOptions};
use crate::spec::{DiscriminatorSpec, OracleSpec, RunSpec, SelectionSpec, StatsSpec, TaskSpec};
use crate::store::StudyCell;
use crate::summary::Summary;
use crate::{identity, ExperimentError};

/// One task of a study, optionally with its own selection and budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyTask {
    pub task: TaskSpec,
    /// Replaces the base selection for this task.
    #[serde(default)]
    pub selection: Option<SelectionSpec>,
    /// Replaces the base budget for this task.
    #[serde(default)]
    pub budget: Option<Budget>,
    /// Replaces the planners axis for this task (e.g. tree search on a smaller selection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planners: Option<Vec<PlannerKind>>,
}

/// The values a study varies; an empty axis keeps the base spec's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Axes {
    pub tasks: Vec<StudyTask>,
    pub planners: Vec<PlannerKind>,
    /// Cells with the simulated discriminator at each accuracy.
    pub accuracies: Vec<f64>,
    /// Cells with the rates oracle at each false-positive rate (its true-positive rate is the
    /// base oracle's `tpr`, else 1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub oracle_fprs: Vec<f64>,
    /// Cells with the score-noise oracle at each σ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub oracle_sigmas: Vec<f64>,
    /// Cells with the LLM judge in each variant (besides the oracle cells).
    pub llm_variants: Vec<LlmVariant>,
    pub seeds: Vec<u64>,
    /// Per-example LLM-call budgets.
    pub max_llm_calls: Vec<u64>,
    /// Samples per request (`sampling.n`) of the selection planners: rerank, vote and
    /// weighted-vote. With per-index seeding the k samples of a cell are the first k of the
    /// largest cell's, so the points form one sample pool's budget curve.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub n: Vec<usize>,
    /// MC-ToT expansion budgets (tree cells).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tree_expansions: Vec<usize>,
    /// MCTS iteration budgets (mcts cells).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mcts_iterations: Vec<usize>,
    /// Correction round budgets (correct cells).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub correction_rounds: Vec<usize>,
}

/// A planner's own budget knob, set by a study's budget axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetPoint {
    /// The axis: `n`, `tree_expansions`, `mcts_iterations` or `correction_rounds`.
    pub axis: &'static str,
    pub value: usize,
}

impl BudgetPoint {
    /// Sets this budget in `spec`.
    fn apply(self, spec: &mut RunSpec) {
        let o = &mut spec.planner.options;
        match self.axis {
            "n" => spec.sampling.n = self.value,
            "tree_expansions" => o.tree_max_expansions = self.value,
            "mcts_iterations" => o.mcts_iterations = self.value,
            _ => o.correction_max_rounds = self.value,
        }
    }
}

impl Axes {
    /// The budget points of `planner`'s own axis (`[None]`: the base spec's).
    fn budgets_of(&self, planner: PlannerKind) -> Vec<Option<BudgetPoint>> {
        let (axis, values) = match planner {
            PlannerKind::Rerank | PlannerKind::Vote | PlannerKind::WeightedVote => ("n", &self.n),
            PlannerKind::Tree => ("tree_expansions", &self.tree_expansions),
            PlannerKind::Mcts => ("mcts_iterations", &self.mcts_iterations),
            PlannerKind::Correct => ("correction_rounds", &self.correction_rounds),
            PlannerKind::Greedy => return vec![None],
        };
        if values.is_empty() {
            return vec![None];
        }
        // The largest sample pool first: the smaller ones are its first samples (cached).
        let mut values = values.clone();
        if axis == "n" {
            values.sort_unstable_by(|a, b| b.cmp(a));
        }
        values
            .into_iter()
            .map(|value| Some(BudgetPoint { axis, value }))
            .collect()
    }
}

/// A grid of runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StudySpec {
    /// Names the study (its id is the name and a digest of the spec).
    pub name: String,
    /// What every cell starts from.
    pub base: RunSpec,
    pub axes: Axes,
    /// A note printed at the top of the study's report (e.g. why budgets are set).
    pub note: String,
    /// How the report tests significance (not part of the study id).
    #[serde(skip_serializing_if = "crate::spec::is_default")]
    pub stats: StatsSpec,
}

/// One cell of the grid: its spec and the axis values that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub spec: RunSpec,
    pub axes: serde_json::Value,
}

impl StudySpec {
    /// The study's id: its name and a digest of everything but concurrency and the note.
    pub fn id(&self) -> String {
        let mut canonical = self.clone();
        canonical.base.concurrency = 1;
        canonical.note.clear();
        canonical.stats = StatsSpec::default();
        let digest = identity::digest(&serde_json::to_value(&canonical).expect("serializes"));
        let name = if self.name.is_empty() {
            "study"
        } else {
            &self.name
        };
        format!("{name}-{digest}")
    }

    /// Every cell, tasks outermost, then planners, discriminators, seeds and budgets.
    pub fn cells(&self) -> Vec<Cell> {
        let base = &self.base;
        let tasks = if self.axes.tasks.is_empty() {
            vec![StudyTask {
                task: base.task.clone(),
                selection: None,
                budget: None,
                planners: None,
            }]
        } else {
            self.axes.tasks.clone()
        };
        let planners = or_base(&self.axes.planners, base.planner.kind);
        let mut discriminators: Vec<DiscriminatorSpec> = Vec::new();
        for &accuracy in &self.axes.accuracies {
            discriminators.push(base.discriminator.with_accuracy(accuracy));
        }
        // The base oracle's rule, levels, draws and true-positive rate (else the defaults).
        let (oracle, tpr) = match &base.discriminator {
            DiscriminatorSpec::Oracle(o) => (
                OracleSpec {
                    accuracy: 1.0,
                    tpr: None,
                    fpr: None,
                    sigma: None,
                    ..*o
                },
                o.tpr.unwrap_or(1.0),
            ),
            DiscriminatorSpec::Llm { .. } => (OracleSpec::default(), 1.0),
        };
        for &fpr in &self.axes.oracle_fprs {
            discriminators.push(DiscriminatorSpec::Oracle(OracleSpec {
                tpr: Some(tpr),
                fpr: Some(fpr),
                ..oracle
            }));
        }
        for &sigma in &self.axes.oracle_sigmas {
            discriminators.push(DiscriminatorSpec::Oracle(OracleSpec {
                sigma: Some(sigma),
                ..oracle
            }));
        }
        let (judge_model, score) = match &base.discriminator {
            DiscriminatorSpec::Llm { model, score, .. } => (model.clone(), *score),
            // An oracle base: the judge's options come from the base's protocol.
            DiscriminatorSpec::Oracle(_) => {
                let mut judged = RunSpec::default();
                base.protocol.apply_where(&mut judged, "discriminator.");
                match judged.discriminator {
                    DiscriminatorSpec::Llm { score, .. } => (None, score),
                    DiscriminatorSpec::Oracle(_) => (None, LlmScore::default()),
                }
            }
        };
        for &variant in &self.axes.llm_variants {
            discriminators.push(DiscriminatorSpec::Llm {
                variant,
                model: judge_model.clone(),
                score,
            });
        }
        if discriminators.is_empty() {
            discriminators.push(base.discriminator.clone());
        }
        let seeds = or_base(&self.axes.seeds, base.seed);
        let budgets: Vec<Option<u64>> = if self.axes.max_llm_calls.is_empty() {
            vec![None]
        } else {
            self.axes.max_llm_calls.iter().map(|c| Some(*c)).collect()
        };
        let mut cells = Vec::new();
        for task in &tasks {
            for &planner in task.planners.as_ref().unwrap_or(&planners) {
                for discriminator in &discriminators {
                    for &seed in &seeds {
                        for (&calls, point) in budgets.iter().flat_map(|c| {
                            self.axes
                                .budgets_of(planner)
                                .into_iter()
                                .map(move |p| (c, p))
                        }) {
                            let mut spec = base.clone();
                            spec.task = task.task.clone();
                            if let Some(selection) = &task.selection {
                                spec.selection = selection.clone();
                            }
                            if let Some(budget) = task.budget {
                                spec.budget = budget;
                            }
                            if calls.is_some() {
                                spec.budget.max_llm_calls = calls;
                            }
                            spec.planner.kind = planner;
                            spec.discriminator = discriminator.clone();
                            spec.seed = seed;
                            if let Some(point) = point {
                                point.apply(&mut spec);
                            }
                            let axes = json!({
                                "task": spec.task.kind(),
                                "planner": planner,
                                "discriminator": discriminator.label(),
                                "accuracy": discriminator.oracle_accuracy(),
                                "seed": seed,
                                "max_llm_calls": spec.budget.max_llm_calls,
                                "budget": point.map(|p| json!({ "axis": p.axis, "value": p.value })),
                            });
                            cells.push(Cell { spec, axes });
                        }
                    }
                }
            }
        }
        cells
    }
}

fn or_base<T: Copy>(axis: &[T], base: T) -> Vec<T> {
    if axis.is_empty() {
        vec![base]
    } else {
        axis.to_vec()
    }
}

/// A study's cells, resolved and run.
pub struct StudyOutcome {
    pub study_id: String,
    pub summaries: Vec<Summary>,
    pub seconds: f64,
    /// The report's index file; `None` for a shard (report the merged results instead).
    pub report: Option<PathBuf>,
}

impl Engine {
    /// Runs every cell of `study` (resuming finished work) and records the grid.
    pub async fn run_study(
        &self,
        study: &StudySpec,
        options: &RunOptions,
    ) -> Result<StudyOutcome, ExperimentError> {
        let started = std::time::Instant::now();
        let study_id = study.id();
        let cells = study.cells();
        let mut resolved: Vec<ResolvedRun> = Vec::with_capacity(cells.len());
        for (position, cell) in cells.iter().enumerate() {
            let run = self.resolve(&cell.spec, None).await?;
            self.store().add_study_cell(
                &study_id,
                &StudyCell {
                    run_id: run.run_id.clone(),
                    position,
                    axes: cell.axes.clone(),
                },
            )?;
            resolved.push(run);
        }
        tracing::info!(study = %study_id, cells = resolved.len(), "study");
        let summaries = self.run_all(&resolved, options).await?;
        Ok(StudyOutcome {
            study_id,
            summaries,
            seconds: started.elapsed().as_secs_f64(),
            report: None,
        })
    }

    /// Runs `study`, then (unless `options` name a shard) writes its report into `out`, or
    /// `<reports>/<study id>` by default.
    pub async fn run_study_and_report(
        &self,
        study: &StudySpec,
        options: &RunOptions,
        out: Option<&Path>,
        reports: &Path,
    ) -> Result<StudyOutcome, ExperimentError> {
        let mut outcome = self.run_study(study, options).await?;
        if options.shard.is_none() {
            let default = reports.join(&outcome.study_id);
            let out = out.unwrap_or(&default);
            outcome.report = Some(crate::reporting::write_study_report(
                self.store(),
                self.loader(),
                &outcome.study_id,
                &study.note,
                out,
                &study.stats,
            )?);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_crosses_every_axis_and_keeps_the_base_elsewhere() {
        let study = StudySpec {
            name: "t".into(),
            axes: Axes {
                planners: vec![PlannerKind::Rerank, PlannerKind::Tree],
                accuracies: vec![0.5, 1.0],
                llm_variants: vec![LlmVariant::Pro],
                ..Axes::default()
            },
            ..StudySpec::default()
        };
        let cells = study.cells();
        assert_eq!(cells.len(), 2 * 3);
        assert_eq!(cells[0].spec.planner.kind, PlannerKind::Rerank);
        assert_eq!(cells[0].spec.discriminator, DiscriminatorSpec::oracle(0.5));
        assert_eq!(cells[2].axes["discriminator"], "llm-pro");
        assert!(cells.iter().all(|c| c.spec.task == study.base.task));
        assert_ne!(study.id(), StudySpec::default().id());
        let mut faster = study.clone();
        faster.base.concurrency = 4;
        assert_eq!(faster.id(), study.id());
    }

    #[test]
    fn budget_axes_reach_only_the_planners_that_read_them() {
        let study = StudySpec {
            axes: Axes {
                planners: vec![PlannerKind::Greedy, PlannerKind::Vote, PlannerKind::Tree],
                n: vec![1, 4],
                tree_expansions: vec![5, 10, 20],
                ..Axes::default()
            },
            ..StudySpec::default()
        };
        let cells = study.cells();
        assert_eq!(cells.len(), 1 + 2 + 3);
        let of = |kind| cells.iter().filter(move |c| c.spec.planner.kind == kind);
        let n: Vec<usize> = of(PlannerKind::Vote).map(|c| c.spec.sampling.n).collect();
        assert_eq!(n, [4, 1], "the largest pool first");
        let expansions: Vec<usize> = of(PlannerKind::Tree)
            .map(|c| c.spec.planner.options.tree_max_expansions)
            .collect();
        assert_eq!(expansions, [5, 10, 20]);
        assert!(of(PlannerKind::Tree).all(|c| c.spec.sampling.n == study.base.sampling.n));
        assert_eq!(cells[1].axes["budget"], json!({ "axis": "n", "value": 4 }));
        assert!(cells[0].axes["budget"].is_null());
        // Empty budget axes leave the id of a study written before they existed.
        let plain = StudySpec::default();
        let text = serde_json::to_string(&plain).unwrap();
        assert!(!text.contains("tree_expansions"), "{text}");
    }
}
