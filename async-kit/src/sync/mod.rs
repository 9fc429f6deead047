//! Limits on how much runs at once: [`Limiter`] for one shared resource,
//! [`KeyedLimiter`] for one limit per key.

mod error;
pub(crate) mod gate;
mod keyed_limiter;
mod limited;
mod limiter;

pub use error::TryAcquireError;
pub use keyed_limiter::{KeyedLimiter, KeyedPermit};
pub use limited::{LimitExt, Limited};
pub use limiter::{Limiter, OwnedPermit, Permit};
