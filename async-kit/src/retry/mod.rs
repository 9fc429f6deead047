//! Retries that know the caller's deadline.
//!
//! [`retry(policy, || fut)`](retry()) runs an operation again when it fails,
//! as the [`Policy`] says: how many attempts, how long to wait between them
//! ([exponential backoff with full jitter](Policy::exponential) or a
//! [constant delay](Policy::constant)), which errors are worth another try
//! ([`Retry::when`], with ready-made predicates such as [`is_transient`]),
//! and whether the error itself says when to come back
//! ([`Retry::retry_after`]).
//!
//! Retrying is deadline-aware. Inside a [`#[timeout]`](crate::timeout) fn or
//! a [`time::timeout`](crate::time::timeout) future, a retry never sleeps
//! past the propagated [`deadline`](crate::deadline), and never starts an
//! attempt with less than [`Policy::min_budget`] left: it gives up at once
//! instead, and the [`RetryError`] says why ([`Reason`]), after how many
//! attempts, and hands back the last error.
//!
//! A [`Budget`] shared by many call sites caps retries to a fraction of
//! recent calls, so an outage does not turn into a retry storm.
//!
//! Code running inside an attempt reads its number with [`attempt`].

mod attempt;
mod budget;
mod error;
mod policy;
mod predicate;
mod rng;
pub(crate) mod run;

pub use attempt::attempt;
pub use budget::Budget;
pub use error::{Reason, RetryError};
pub use policy::Policy;
pub use predicate::{
    is_connection_refused, is_connection_reset, is_elapsed, is_timed_out, is_transient,
};
pub use run::{Retry, retry};
