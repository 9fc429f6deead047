use std::fmt;
use std::time::Duration;

/// The error [`try_acquire`](super::RateLimiter::try_acquire) returns when
/// the rate is used up: how long until the next permit.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::rate::{Rate, RateLimiter};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let limiter = RateLimiter::new(Rate::per_second(4).burst(1));
/// limiter.try_acquire().unwrap();
/// let err = limiter.try_acquire().unwrap_err();
/// assert_eq!(err.wait(), Duration::from_millis(250));
/// assert_eq!(err.to_string(), "rate limit reached: next permit in 250ms");
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimited {
    wait: Duration,
}

impl RateLimited {
    pub(crate) const fn new(wait: Duration) -> Self {
        RateLimited { wait }
    }

    /// Returns how long until a permit is free (if nobody else takes it).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{Rate, RateLimiter};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(Rate::per_second(1));
    /// limiter.try_acquire().unwrap();
    /// assert_eq!(limiter.try_acquire().unwrap_err().wait().as_secs(), 1);
    /// # }
    /// ```
    #[must_use]
    pub const fn wait(&self) -> Duration {
        self.wait
    }
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rate limit reached: next permit in {:?}", self.wait)
    }
}

impl std::error::Error for RateLimited {}
