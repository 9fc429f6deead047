//! Waiting on groups of handles: asyncio's `wait`, `as_completed` and
//! `gather`.

mod as_completed;
mod gather;
mod indexed;
#[allow(clippy::module_inception)] // asyncio's name; the folder holds its siblings too
mod wait;

pub use as_completed::{AsCompleted, as_completed};
pub use gather::{gather, try_gather};
pub use wait::{ReturnWhen, wait};
