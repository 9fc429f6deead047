//! The patterns of the classic asyncio tutorials, for tokio.
//!
//! Each part is small, documented with its cancel safety, and measured
//! against what a tokio user would otherwise write by hand:
//!
//! - [`#[timeout]`](timeout): an attribute that bounds an `async fn`'s run
//!   time, the tutorial's timeout decorator. Deadlines propagate: a bounded
//!   fn called from another never waits past its caller's budget, and
//!   [`deadline`] / [`remaining`] tell any code how much time it has left.
//! - [`time`]: the functions behind the attribute, [`time::timeout`] and
//!   [`time::timeout_at`].
//! - [`sync`] and [`task`]: concurrency control. [`Limiter`] (a resizable
//!   fair semaphore, `fut.limited(&limiter)`), [`KeyedLimiter`] (a limit per
//!   key), and [`TaskPool`] (a bounded pool of tasks with backpressure,
//!   panic isolation, figures, `map` and a graceful shutdown).
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use async_kit::{Elapsed, timeout};
//!
//! #[timeout(2s)]
//! async fn fetch(delay: u64) -> u64 {
//!     tokio::time::sleep(Duration::from_secs(delay)).await;
//!     delay
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! assert_eq!(fetch(1).await, Ok(1));
//! let err: Elapsed = fetch(5).await.unwrap_err();
//! assert_eq!(err.to_string(), "deadline has elapsed");
//! # }
//! ```
//!
//! # Feature flags
//!
//! - `macros` (default): the [`#[timeout]`](timeout) attribute.
//! - `full`: every optional part.
//!
//! # Cancel safety
//!
//! Every async method documents what dropping its future loses, in tokio's
//! words. A timeout drops the future it bounds when the deadline passes, so
//! it is as cancel safe as that future.
//!
//! # asyncio → async-kit
//!
//! | asyncio | async-kit |
//! |---|---|
//! | a `@timeout(seconds)` decorator around `asyncio.wait_for` | [`#[timeout(2s)]`](timeout) |
//! | `asyncio.wait_for(aw, timeout)` | [`time::timeout`] |
//! | `asyncio.timeout_at(when)` | [`time::timeout_at`] |
//! | `asyncio.Timeout.when()` | [`deadline`], [`remaining`] |
//! | `async with asyncio.Semaphore(n):` | [`Limiter::run`], [`Limiter::acquire`] |
//! | a semaphore per host in a dict | [`KeyedLimiter`] |
//! | an `asyncpool` / `asyncio.gather` over a bounded set of tasks | [`TaskPool::spawn`], [`TaskPool::join`] |
//! | `asyncio.as_completed` over a bounded pool of workers | [`TaskPool::map`] |
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod sync;
pub mod task;
pub mod time;

pub use sync::{KeyedLimiter, LimitExt, Limiter};
pub use task::{TaskHandle, TaskPool};
pub use time::{Elapsed, deadline, remaining};

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
#[doc = include_str!("docs/timeout.md")]
pub use async_kit_macros::timeout;

#[doc(hidden)]
pub mod __private;
