//! Tasks: done callbacks after spawning, and waiting on groups of tasks.
//!
//! - [`spawn`] (or [`JoinHandleExt::with_callbacks`] on a tokio
//!   [`JoinHandle`](tokio::task::JoinHandle)) gives a [`CallbackHandle`]
//!   that takes asyncio-style done callbacks; [`DoneCallbacks`] is the part
//!   any task handle can embed to offer the same.
//! - [`wait`] with [`ReturnWhen`], [`as_completed`], [`gather`] and
//!   [`try_gather`] wait on groups, as asyncio's functions of the same names.

mod as_completed;
mod callback_handle;
mod callbacks;
mod gather;
mod indexed;
mod join_handle_ext;
mod wait;

pub use as_completed::{AsCompleted, as_completed};
pub use callback_handle::{CallbackHandle, spawn};
pub use callbacks::{CallbackId, DoneCallbacks, Outcome};
pub use gather::{gather, try_gather};
pub use join_handle_ext::JoinHandleExt;
pub use wait::{ReturnWhen, wait};
