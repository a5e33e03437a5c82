//! One-way pairs (Push, Pull): the source's rows copied into the target, which only the sync
//! writes.
//!
//! - [`plan`]: the pure planner ([`plan_pair`](plan::plan_pair)) and the
//!   [`PairPlan`](plan::PairPlan) it makes from a [`PairSnapshot`](plan::PairSnapshot).
//! - [`apply`]: the executor, which applies a plan and only that.

pub mod apply;
pub mod plan;
