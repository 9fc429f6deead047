//! The [`TaskPool`] and its parts: the [`Builder`], the [`TaskHandle`]s it
//! returns, its [`Figures`], the [`Map`] stream, and the private job queue
//! its long-lived workers take jobs from (`job_queue`, not to be confused
//! with the public [`crate::queue::Queue`]).

mod builder;
mod cell;
mod error;
mod figures;
mod handle;
#[cfg(not(async_kit_loom))]
mod items;
mod job;
mod job_queue;
#[cfg(async_kit_loom)]
mod loom_shim;
mod map;
mod task_pool;

pub use builder::Builder;
pub use error::{SpawnError, SpawnTimeoutError, TaskError, TrySpawnError};
pub use figures::{Figures, ShutdownReport};
pub use handle::TaskHandle;
pub use map::Map;
pub use task_pool::TaskPool;
