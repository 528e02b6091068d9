//! Candidate pools for intrinsic evaluation of discriminators.

use planbench_core::{Cost, Example};

use crate::context::PlanContext;
use crate::error::PlanError;
use crate::session::{Budgeted, Session};

/// Samples the context's `n` programs for `example` exactly as re-ranking does (distinct, in
/// sample order) without scoring them, with what sampling cost.
pub async fn sample_candidates(
    ctx: &PlanContext,
    example: &Example,
) -> Result<(Vec<String>, Cost), PlanError> {
    let mut session = Session::new(ctx, example)?;
    let draw = session.default_draw();
    let programs = session
        .sample("", draw)
        .await
        .budgeted()?
        .unwrap_or_default();
    Ok((programs, session.into_cost()))
}
