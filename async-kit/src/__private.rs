//! Items the macros' expansions call. Not public API: no stability promise.

pub use crate::retry::run::{always, first_attempt, no_hint, quiet, resume};
pub use crate::retry::{Policy, retry};
pub use crate::time::{Elapsed, timeout};
pub use core::time::Duration;

/// A return type that can carry a timeout error: `Result<T, E>` where
/// `E: From<Elapsed>`.
#[diagnostic::on_unimplemented(
    message = "`#[timeout(.., convert)]` needs a return type `Result<T, E>` with `E: From<async_kit::Elapsed>`, not `{Self}`",
    label = "not a `Result` that can hold a timeout error",
    note = "write `#[timeout(.., wrap)]` to return `Result<{Self}, async_kit::Elapsed>` instead"
)]
pub trait FromElapsed {
    /// Builds the error value.
    fn from_elapsed(elapsed: Elapsed) -> Self;
}

impl<T, E: From<Elapsed>> FromElapsed for Result<T, E> {
    #[inline]
    fn from_elapsed(elapsed: Elapsed) -> Self {
        Err(E::from(elapsed))
    }
}

/// Flattens the outcome of a timeout around a fn that returns a `Result`.
#[inline]
pub fn flatten<R: FromElapsed>(outcome: Result<R, Elapsed>) -> R {
    match outcome {
        Ok(output) => output,
        Err(elapsed) => R::from_elapsed(elapsed),
    }
}

/// Panics with the timeout error: used where the fn's type cannot carry it
/// (a `#[tokio::test]` returning `()`).
#[track_caller]
#[inline]
pub fn expect_in_time<T>(outcome: Result<T, Elapsed>, name: &str, limit: Duration) -> T {
    match outcome {
        Ok(output) => output,
        Err(elapsed) => panic!("`{name}` timed out after {limit:?}: {elapsed}"),
    }
}

/// The outcome of a `#[retry]` fn: the last error when it gave up.
#[inline]
pub fn last_error<T, E>(outcome: Result<T, crate::retry::RetryError<E>>) -> Result<T, E> {
    outcome.map_err(crate::retry::RetryError::into_inner)
}

/// Pins a future on the heap: the failure path of a `#[retry]` fn, so the
/// fn's own future does not carry the retry state.
#[inline]
pub fn boxed<F: core::future::Future>(future: F) -> core::pin::Pin<Box<F>> {
    Box::pin(future)
}
