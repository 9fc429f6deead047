use std::future::Future;

use super::limiter::RateLimiter;
use crate::sync::{Limiter, OwnedPermit};

/// A rate limit and a concurrency limit applied together: at most `n`
/// starts per period, and at most `limit` running at once.
///
/// Each call first waits for a slot of the [`Limiter`] (a fair queue),
/// then for a permit of the [`RateLimiter`], and runs holding the slot.
/// Both parts are handles, so the same limits can be shared with other
/// throttles or used on their own.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::Limiter;
/// use async_kit::rate::{Rate, RateLimiter, Throttle};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let throttle = Throttle::new(RateLimiter::new(Rate::per_second(10)), Limiter::new(2));
/// let out = throttle.run(async { tokio::time::sleep(Duration::from_millis(5)).await; 1 }).await;
/// assert_eq!(out, 1);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Throttle {
    rate: RateLimiter,
    limiter: Limiter,
}

impl Throttle {
    /// Creates a throttle over `rate` and `limiter`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Limiter;
    /// use async_kit::rate::{Rate, RateLimiter, Throttle};
    ///
    /// let throttle = Throttle::new(RateLimiter::new(Rate::per_second(5)), Limiter::new(3));
    /// assert_eq!(throttle.limiter().limit(), 3);
    /// ```
    #[must_use]
    pub fn new(rate: RateLimiter, limiter: Limiter) -> Self {
        Throttle { rate, limiter }
    }

    /// Waits for a slot, then for a rate permit, and returns the slot: the
    /// caller runs while holding it.
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits for the slot loses the place in the
    /// queue; while it waits for the rate, the slot is given back and no
    /// rate permit is taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Limiter;
    /// use async_kit::rate::{Rate, RateLimiter, Throttle};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let throttle = Throttle::new(RateLimiter::new(Rate::per_second(5)), Limiter::new(1));
    /// let permit = throttle.acquire().await;
    /// assert_eq!(throttle.limiter().in_use(), 1);
    /// drop(permit);
    /// assert_eq!(throttle.limiter().in_use(), 0);
    /// # }
    /// ```
    pub async fn acquire(&self) -> OwnedPermit {
        let permit = self.limiter.acquire_owned().await;
        self.rate.until_ready().await;
        permit
    }

    /// Runs `fut` within both limits: it starts when a slot and a rate
    /// permit are free, and holds the slot until it completes.
    ///
    /// # Cancel safety
    ///
    /// Cancelling before `fut` starts drops it unpolled (see
    /// [`acquire`](Throttle::acquire)); once it runs, it is cancel safe only
    /// if `fut` is, and the slot is given back when it is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Limiter;
    /// use async_kit::rate::{Rate, RateLimiter, Throttle};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let throttle = Throttle::new(RateLimiter::new(Rate::per_second(5)), Limiter::new(1));
    /// assert_eq!(throttle.run(async { "done" }).await, "done");
    /// # }
    /// ```
    pub async fn run<F: Future>(&self, fut: F) -> F::Output {
        let _permit = self.acquire().await;
        fut.await
    }

    /// Returns the rate part.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Limiter;
    /// use async_kit::rate::{Rate, RateLimiter, Throttle};
    ///
    /// let throttle = Throttle::new(RateLimiter::new(Rate::per_second(5)), Limiter::new(1));
    /// assert_eq!(throttle.rate().rate(), Rate::per_second(5));
    /// ```
    #[must_use]
    pub fn rate(&self) -> &RateLimiter {
        &self.rate
    }

    /// Returns the concurrency part.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Limiter;
    /// use async_kit::rate::{Rate, RateLimiter, Throttle};
    ///
    /// let throttle = Throttle::new(RateLimiter::new(Rate::per_second(5)), Limiter::new(4));
    /// assert_eq!(throttle.limiter().limit(), 4);
    /// ```
    #[must_use]
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }
}
