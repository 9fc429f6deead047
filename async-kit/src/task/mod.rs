//! Tasks: a bounded pool, done callbacks after spawning, and waiting on
//! groups of tasks.
//!
//! - [`TaskPool`] runs tasks at most `limit` at once, with its [`Builder`],
//!   the [`TaskHandle`]s it returns, its [`Figures`] and [`ShutdownReport`],
//!   and the [`Map`] stream of [`TaskPool::map`].
//! - [`spawn`] (or [`JoinHandleExt::with_callbacks`] on a tokio
//!   [`JoinHandle`](tokio::task::JoinHandle)) gives a [`CallbackHandle`]
//!   that takes asyncio-style done callbacks; [`DoneCallbacks`] is the part
//!   any task handle can embed to offer the same.
//! - [`wait`] with [`ReturnWhen`], [`as_completed`], [`gather`] and
//!   [`try_gather`] wait on groups, as asyncio's functions of the same names.

mod as_completed;
mod builder;
mod callback_handle;
mod callbacks;
mod cell;
mod error;
mod figures;
mod gather;
mod handle;
mod indexed;
#[cfg(not(async_kit_loom))]
mod items;
mod job;
mod join_handle_ext;
#[cfg(async_kit_loom)]
mod loom_shim;
mod map;
mod pool;
mod queue;
mod wait;

pub use as_completed::{AsCompleted, as_completed};
pub use builder::Builder;
pub use callback_handle::{CallbackHandle, spawn};
pub use callbacks::{CallbackId, DoneCallbacks, Outcome};
pub use error::{SpawnError, SpawnTimeoutError, TaskError, TrySpawnError};
pub use figures::{Figures, ShutdownReport};
pub use gather::{gather, try_gather};
pub use handle::TaskHandle;
pub use join_handle_ext::JoinHandleExt;
pub use map::Map;
pub use pool::TaskPool;
pub use wait::{ReturnWhen, wait};
