//! Structured concurrency: the [`TaskGroup`], its [`GroupHandle`], the
//! [`scope`] and [`supervisor_scope`] forms, and what they report.

mod child;
mod error;
mod node;
mod report;
mod scope;
mod task_group;

pub use error::{ChildError, Failure, GroupError};
pub use report::{GroupFigures, GroupReport};
pub use scope::{scope, supervisor_scope};
pub use task_group::{GroupHandle, TaskGroup};
