//! Planner traces: the typed record of what a planner did ([`Trace`]), its stored JSON form,
//! and its text rendering for `planbench show`.

mod model;
mod render;
mod stop;
mod wire;

#[cfg(test)]
mod fixtures;

pub use model::{
    Candidate, Cluster, CorrectTrace, Ending, GreedyTrace, MctsTrace, Node, RerankTrace, Round,
    Scored, Trace, TreeTrace, VoteTrace,
};
pub use render::{render_trace, render_trace_value};
pub use stop::{BudgetStop, Stop};
