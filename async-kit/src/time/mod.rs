//! Timeouts whose deadlines propagate to the code they bound.
//!
//! [`timeout`] and [`timeout_at`] work like tokio's functions of the same
//! names, and are what the [`#[timeout]`](crate::timeout) attribute expands
//! to. While a bounded future runs, its deadline is visible to the code it
//! calls through [`deadline`](crate::deadline) and
//! [`remaining`], and a nested timeout never waits past it.

mod deadline;
mod error;
mod timeout;

pub use deadline::{deadline, remaining};
pub use error::Elapsed;
pub use timeout::{Timeout, timeout, timeout_at};
