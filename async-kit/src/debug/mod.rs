//! Finding the task that blocks its worker.
//!
//! A future that computes or blocks inside `poll` holds its worker thread
//! for that long, and every other task of the worker waits. asyncio's debug
//! mode names the coroutine that did it; [`WarnSlowExt::warn_slow_polls`]
//! does the same for any future: every single poll longer than a threshold
//! is reported, with the future's name and the time the poll took, to a
//! callback of yours or, by default, as a warning (`tracing::warn!` with the
//! `tracing` feature, else a line on standard error).
//!
//! A poll is timed with two reads of [`std::time::Instant`] (the real clock,
//! even when tokio's clock is paused), and nothing else is done unless the
//! poll was slow. The two reads are the whole cost: twice the price of
//! `Instant::now()`, which is 40 to 90 ns a poll on the virtual machines we
//! benchmark on (`benches/offload.rs`). Wrap the tasks you suspect, or every
//! task while you hunt, rather than every small future.
//!
//! # Examples
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use async_kit::debug::WarnSlowExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = Arc::clone(&seen);
//! let answer = async {
//!     // Blocks its worker: the bug this finds.
//!     std::thread::sleep(Duration::from_millis(20));
//!     42
//! }
//! .warn_slow_polls(Duration::from_millis(5))
//! .named("parse_report")
//! .on_slow_poll(move |slow| log.lock().unwrap().push(slow.name().to_owned()))
//! .await;
//! assert_eq!(answer, 42);
//! assert_eq!(*seen.lock().unwrap(), ["parse_report"]);
//! # }
//! ```

mod slow_poll;
mod warn_slow;

pub use slow_poll::SlowPoll;
pub use warn_slow::WarnSlow;

use std::future::Future;
use std::time::Duration;

/// Adds [`warn_slow_polls`](Self::warn_slow_polls) to every future.
pub trait WarnSlowExt: Future + Sized {
    /// Wraps the future so that every poll of it that takes longer than
    /// `threshold` is reported.
    ///
    /// The report names the future ([`WarnSlow::named`], by default its type
    /// name, which names the `async fn`) and says how long the poll took. It
    /// goes to the callback set with [`WarnSlow::on_slow_poll`], or by
    /// default to `tracing::warn!` (with the `tracing` feature) or standard
    /// error. Fast polls cost two clock reads and are not reported.
    ///
    /// # Cancel safety
    ///
    /// The wrapper adds no state of its own: it is cancel safe exactly when
    /// the wrapped future is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let reports = Arc::new(AtomicUsize::new(0));
    /// let count = Arc::clone(&reports);
    /// let fast = async { tokio::task::yield_now().await; 1 }
    ///     .warn_slow_polls(Duration::from_secs(1))
    ///     .on_slow_poll(move |_| { count.fetch_add(1, Ordering::Relaxed); });
    /// assert_eq!(fast.await, 1);
    /// assert_eq!(reports.load(Ordering::Relaxed), 0);
    /// # }
    /// ```
    fn warn_slow_polls(self, threshold: Duration) -> WarnSlow<Self> {
        WarnSlow::new(self, threshold)
    }
}

impl<F: Future> WarnSlowExt for F {}
