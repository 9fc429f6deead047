//! A bounded task pool: [`TaskPool`], its [`Builder`], the [`TaskHandle`]s
//! it returns, its [`Figures`] and [`ShutdownReport`].

mod builder;
mod error;
mod figures;
mod handle;
mod pool;
mod queue;

pub use builder::Builder;
pub use error::{SpawnError, SpawnTimeoutError, TaskError, TrySpawnError};
pub use figures::{Figures, ShutdownReport};
pub use handle::TaskHandle;
pub use pool::TaskPool;
