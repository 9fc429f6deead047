//! Timeouts whose deadlines propagate to the code they bound, and timers
//! that run callbacks.
//!
//! [`timeout`] and [`timeout_at`] work like tokio's functions of the same
//! names, and are what the [`#[timeout]`](crate::timeout) attribute expands
//! to. While a bounded future runs, its deadline is visible to the code it
//! calls through [`deadline`](crate::deadline) and
//! [`remaining`], and a nested timeout never waits past it.
//!
//! [`call_soon`], [`call_later`] and [`call_at`] are asyncio's loop methods:
//! each schedules a callback and returns a [`TimerHandle`] that cancels or
//! moves it from any thread. [`spawn_soon`], [`spawn_later`] and
//! [`spawn_at`] do the same for futures, [`call_every`] repeats a callback,
//! and a [`Scheduler`] owns a set of timers and cancels them all when it is
//! dropped. Pending timers cost no task each: one driver task per runtime
//! (and one per `Scheduler`) keeps them in a heap and sleeps until the
//! earliest.

mod call;
mod deadline;
mod driver;
mod error;
mod every;
mod handle;
mod scheduler;
mod timeout;

pub use call::{call_at, call_later, call_soon, spawn_at, spawn_later, spawn_soon};

pub use deadline::{deadline, remaining};
pub use error::Elapsed;
pub use every::{call_every, call_every_with};
pub use handle::TimerHandle;
pub use scheduler::Scheduler;
pub use timeout::{Timeout, timeout, timeout_at};
