use std::fmt;
use std::future::Future;
use std::sync::Arc;

use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use tokio::time::{Instant, sleep_until};

use super::clock::TokioClock;
use super::error::RateLimited;
use super::quota::Rate;

// The middleware is named: its default follows governor's default clock,
// which changes when another crate turns on governor's `quanta` feature.
type Direct =
    governor::RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<std::time::Instant>>;

/// Admits `n` per period with a burst, shared by all its clones.
///
/// It is governor's direct limiter (lock-free GCRA: one compare-and-swap
/// per permit) behind an `Arc`, on tokio's clock. A permit is not given
/// back: it is a start, where a [`Limiter`](crate::Limiter) permit is a
/// slot. To bound both, use a [`Throttle`](super::Throttle).
///
/// # Fairness
///
/// [`until_ready`](RateLimiter::until_ready) waiters are not queued: see
/// the [module docs](super#fairness).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::rate::{Rate, RateLimiter};
/// use tokio::time::Instant;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let limiter = RateLimiter::new(Rate::per_second(10).burst(2));
/// let start = Instant::now();
/// for _ in 0..4 {
///     limiter.until_ready().await;
/// }
/// // Two at once, then one every 100 ms.
/// assert_eq!(start.elapsed(), Duration::from_millis(200));
/// # }
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Direct>,
    rate: Rate,
}

impl RateLimiter {
    /// Creates a limiter for `rate`, with its whole burst available.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{Rate, RateLimiter};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(Rate::per_second(2));
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_ok());
    /// assert!(limiter.try_acquire().is_err());
    /// # }
    /// ```
    #[must_use]
    pub fn new(rate: Rate) -> Self {
        RateLimiter {
            inner: Arc::new(governor::RateLimiter::direct_with_clock(
                rate.quota, TokioClock,
            )),
            rate,
        }
    }

    /// Takes a permit if one is free now, without waiting; otherwise says
    /// how long until the next.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{Rate, RateLimiter};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(Rate::per_second(5).burst(1));
    /// assert!(limiter.try_acquire().is_ok());
    /// let wait = limiter.try_acquire().unwrap_err().wait();
    /// tokio::time::advance(wait).await;
    /// assert!(limiter.try_acquire().is_ok());
    /// # }
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<(), RateLimited> {
        self.inner.check().map_err(|not_until| {
            RateLimited::new(not_until.wait_time_from(TokioClock::last_read()))
        })
    }

    /// Waits until a permit is free, and takes it.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: a permit is taken only when the future
    /// completes, so a cancelled wait takes none. It holds no place in a
    /// queue to lose (see [Fairness](super#fairness)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::rate::{Rate, RateLimiter};
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(Rate::per_second(2).burst(1));
    /// let start = Instant::now();
    /// limiter.until_ready().await;
    /// limiter.until_ready().await;
    /// assert_eq!(start.elapsed(), Duration::from_millis(500));
    /// # }
    /// ```
    pub async fn until_ready(&self) {
        while let Err(at) = self.check_at() {
            sleep_until(Instant::from_std(at)).await;
        }
    }

    /// Takes a permit, or names the instant one may be free.
    #[inline]
    pub(crate) fn check_at(&self) -> Result<(), std::time::Instant> {
        self.inner
            .check()
            .map_err(|not_until| not_until.earliest_possible())
    }

    /// Waits for a permit, then runs `fut`.
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits takes no permit and drops `fut` unpolled;
    /// once `fut` runs, it is cancel safe only if `fut` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{Rate, RateLimiter};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(Rate::per_second(100));
    /// assert_eq!(limiter.run(async { 7 }).await, 7);
    /// # }
    /// ```
    pub async fn run<F: Future>(&self, fut: F) -> F::Output {
        self.until_ready().await;
        fut.await
    }

    /// Returns the rate this limiter enforces.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{Rate, RateLimiter};
    ///
    /// let rate = Rate::per_second(3);
    /// assert_eq!(RateLimiter::new(rate).rate(), rate);
    /// ```
    pub fn rate(&self) -> Rate {
        self.rate
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}
