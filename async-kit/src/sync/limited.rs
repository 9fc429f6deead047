use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::limiter::{Limiter, OwnedPermit};

/// An extension trait that runs any future under a [`Limiter`].
///
/// # Examples
///
/// ```
/// use async_kit::sync::{LimitExt, Limiter};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let limiter = Limiter::new(1);
/// let out = async { 5 }.limited(&limiter).await;
/// assert_eq!(out, 5);
/// # }
/// ```
pub trait LimitExt: Future + Sized {
    /// Holds a permit of `limiter` exactly while this future runs.
    ///
    /// The permit is taken at first poll (without waiting when one is free)
    /// and given back when the future completes or is dropped. The returned
    /// future owns a handle to the limiter, so it can be spawned.
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits loses the place in the queue and drops the
    /// future unpolled; once it runs, it is cancel safe only if `self` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::sync::{LimitExt, Limiter};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = Limiter::new(2);
    /// let probe = limiter.clone();
    /// let task = tokio::spawn(async move { probe.in_use() }.limited(&limiter));
    /// assert_eq!(task.await.unwrap(), 1);
    /// # }
    /// ```
    fn limited(self, limiter: &Limiter) -> Limited<Self> {
        Limited {
            future: self,
            limiter: limiter.clone(),
            wait: None,
            permit: None,
        }
    }
}

impl<F: Future> LimitExt for F {}

type Wait = Pin<Box<dyn Future<Output = OwnedPermit> + Send>>;

pin_project! {
    /// Future for the [`limited`](LimitExt::limited) method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Limited<F> {
        #[pin]
        future: F,
        limiter: Limiter,
        // Boxed only when a permit is not free at first poll.
        wait: Option<Wait>,
        permit: Option<OwnedPermit>,
    }
}

impl<F: Future> Future for Limited<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if this.permit.is_none() {
            if this.wait.is_none() {
                if let Ok(permit) = this.limiter.try_acquire_owned() {
                    *this.permit = Some(permit);
                }
            }
            if this.permit.is_none() {
                let wait = this.wait.get_or_insert_with(|| {
                    let limiter = this.limiter.clone();
                    Box::pin(async move { limiter.acquire_owned().await })
                });
                *this.permit = Some(ready!(wait.as_mut().poll(cx)));
                *this.wait = None;
            }
        }
        let output = ready!(this.future.poll(cx));
        // Give the permit back as soon as the work is done, not when the
        // combinator is dropped.
        *this.permit = None;
        Poll::Ready(output)
    }
}

impl<F: fmt::Debug> fmt::Debug for Limited<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limited")
            .field("future", &self.future)
            .field("limiter", &self.limiter)
            .field("has_permit", &self.permit.is_some())
            .finish()
    }
}
