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
//! - [`TaskGroup`] (asyncio's `TaskGroup`, with [`scope`] and
//!   [`supervisor_scope`]) runs children that end together: fail fast or
//!   supervised, a cancellation tree, deadlines inherited across spawn.

// Each concern has a folder: `pool/` (the TaskPool and its private job
// queue), `callbacks/` (done callbacks on any task handle) and `wait/`
// (waiting on groups of handles), `group/` (structured concurrency). The
// public paths stay flat.
mod callbacks;
mod group;
mod pool;
mod wait;

pub use callbacks::{CallbackHandle, CallbackId, DoneCallbacks, JoinHandleExt, Outcome, spawn};
pub use group::{
    ChildError, Failure, GroupError, GroupFigures, GroupHandle, GroupReport, TaskGroup, scope,
    supervisor_scope,
};
pub use pool::{
    Builder, Figures, Map, ShutdownReport, SpawnError, SpawnTimeoutError, TaskError, TaskHandle,
    TaskPool, TrySpawnError,
};
pub use wait::{AsCompleted, ReturnWhen, as_completed, gather, try_gather, wait};
