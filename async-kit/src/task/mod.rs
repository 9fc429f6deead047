//! A bounded task pool: [`TaskPool`], its [`Builder`], the [`TaskHandle`]s
//! it returns, its [`Figures`] and [`ShutdownReport`], and
//! the [`Map`] stream of [`TaskPool::map`].

mod builder;
mod cell;
mod error;
mod figures;
mod handle;
#[cfg(async_kit_loom)]
mod loom_shim;
mod map;
mod pool;
mod queue;

pub use builder::Builder;
pub use error::{SpawnError, SpawnTimeoutError, TaskError, TrySpawnError};
pub use figures::{Figures, ShutdownReport};
pub use handle::TaskHandle;
pub use map::Map;
pub use pool::TaskPool;
