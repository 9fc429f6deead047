use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep, sleep_until};

use super::limiter::RateLimiter;

/// An extension trait that starts any future under a [`RateLimiter`].
///
/// # Examples
///
/// ```
/// use async_kit::rate::{Rate, RateLimitExt, RateLimiter};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let rate = RateLimiter::new(Rate::per_second(10));
/// assert_eq!(async { 5 }.rate_limited(&rate).await, 5);
/// # }
/// ```
pub trait RateLimitExt: Future + Sized {
    /// Waits for a permit of `rate` at first poll, then runs this future.
    ///
    /// It is named apart from [`LimitExt::limited`](crate::LimitExt::limited)
    /// so both traits can be in scope. The returned future owns a handle to
    /// the limiter, so it can be spawned.
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits takes no permit and drops the future
    /// unpolled; once it runs, it is cancel safe only if `self` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::rate::{Rate, RateLimitExt, RateLimiter};
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let rate = RateLimiter::new(Rate::per_second(4).burst(1));
    /// let start = Instant::now();
    /// let a = tokio::spawn(async { 1 }.rate_limited(&rate));
    /// let b = tokio::spawn(async { 2 }.rate_limited(&rate));
    /// assert_eq!(a.await.unwrap() + b.await.unwrap(), 3);
    /// assert_eq!(start.elapsed(), Duration::from_millis(250));
    /// # }
    /// ```
    fn rate_limited(self, rate: &RateLimiter) -> Paced<Self> {
        Paced {
            future: self,
            rate: rate.clone(),
            sleep: None,
            started: false,
        }
    }
}

impl<F: Future> RateLimitExt for F {}

pin_project! {
    /// Future for the [`rate_limited`](RateLimitExt::rate_limited) method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Paced<F> {
        #[pin]
        future: F,
        rate: RateLimiter,
        #[pin]
        sleep: Option<Sleep>,
        started: bool,
    }
}

impl<F: Future> Future for Paced<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        while !*this.started {
            if let Some(sleep) = this.sleep.as_mut().as_pin_mut() {
                ready!(sleep.poll(cx));
            }
            match this.rate.check_at() {
                Ok(()) => {
                    *this.started = true;
                    this.sleep.set(None);
                }
                Err(at) => this.sleep.set(Some(sleep_until(Instant::from_std(at)))),
            }
        }
        this.future.poll(cx)
    }
}

impl<F: fmt::Debug> fmt::Debug for Paced<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paced")
            .field("future", &self.future)
            .field("rate", &self.rate)
            .field("started", &self.started)
            .finish()
    }
}
