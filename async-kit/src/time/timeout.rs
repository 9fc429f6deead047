use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::task::coop::{Unconstrained, unconstrained};
use tokio::time::{Instant, Sleep, sleep_until};

use super::deadline::{Scope, deadline};
use super::error::Elapsed;

/// Bounds `future` to `duration`, counted from this call, and to every
/// deadline that encloses the code polling it.
///
/// This is what `#[timeout]` expands to. It differs from
/// [`tokio::time::timeout`] in two ways: the deadline propagates (code
/// running inside sees it through [`deadline`](crate::deadline), and nested
/// timeouts never wait past it), and the [`Elapsed`] error says whether this
/// timeout's own deadline fired or an inherited one.
///
/// The future is polled before the deadline is checked, so a future that is
/// ready at once always gives `Ok`, even with a zero duration. On timeout the
/// inner future is dropped, which cancels its work.
///
/// # Panics
///
/// Polling the returned future panics if it is not ready at once and there
/// is no tokio runtime with the time driver enabled (the same rule as
/// [`tokio::time::sleep`]).
///
/// # Cancel safety
///
/// Dropping the returned future drops `future`: it is cancel safe exactly
/// when `future` is.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::timeout;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let slow = tokio::time::sleep(Duration::from_secs(10));
/// let err = timeout(Duration::from_secs(1), slow).await.unwrap_err();
/// assert!(!err.is_inherited());
///
/// assert_eq!(timeout(Duration::from_secs(1), async { 7 }).await, Ok(7));
/// # }
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    // One clock read, as in `tokio::time::timeout`; the enclosing deadline is
    // read from a thread-local at first poll and costs no second read.
    let now = Instant::now();
    let deadline = now.checked_add(duration).unwrap_or_else(|| far_future(now));
    Timeout::new(deadline, future.into_future())
}

/// Bounds `future` to the instant `deadline`, and to every deadline that
/// encloses the code polling it.
///
/// See [`timeout`] for the rules; this form reads no clock.
///
/// # Panics
///
/// As for [`timeout`].
///
/// # Cancel safety
///
/// Dropping the returned future drops `future`: it is cancel safe exactly
/// when `future` is.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::timeout_at;
/// use tokio::time::Instant;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let at = Instant::now() + Duration::from_millis(100);
/// let late = tokio::time::sleep(Duration::from_secs(1));
/// assert!(timeout_at(at, late).await.is_err());
/// # }
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(deadline, future.into_future())
}

fn far_future(now: Instant) -> Instant {
    // About 30 years, as tokio does for durations that overflow `Instant`.
    now + Duration::from_secs(86_400 * 365 * 30)
}

pin_project! {
    /// Future returned by [`timeout`] and [`timeout_at`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        // Armed only when the future first returns `Pending`, so a future
        // that is ready at once never touches the timer.
        #[pin]
        sleep: Option<Unconstrained<Sleep>>,
        own: Instant,
        // The effective deadline and whether it came from a caller; fixed at
        // first poll, when the enclosing deadline is known.
        effective: Option<(Instant, bool)>,
    }
}

impl<F> Timeout<F> {
    fn new(deadline: Instant, future: F) -> Self {
        Timeout {
            future,
            sleep: None,
            own: deadline,
            effective: None,
        }
    }

    /// A timeout at a deadline inherited from a spawner: it reports
    /// [`Elapsed`] with `inherited` set, as a nested timeout cut short by
    /// its caller's deadline does. (A spawned task's poll has no enclosing
    /// deadline to compare with, so the choice is fixed now.)
    pub(crate) fn inherited(deadline: Instant, future: F) -> Self {
        Timeout {
            future,
            sleep: None,
            own: deadline,
            effective: Some((deadline, true)),
        }
    }

    /// Returns the deadline this timeout was created with (not counting
    /// enclosing ones).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let at = Instant::now() + Duration::from_secs(3);
    /// let t = async_kit::time::timeout_at(at, async {});
    /// assert_eq!(t.deadline(), at);
    /// # }
    /// ```
    #[must_use]
    pub fn deadline(&self) -> Instant {
        self.own
    }

    /// Returns a reference to the inner future.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = async_kit::time::timeout_at(tokio::time::Instant::now(), std::future::ready(3));
    /// assert_eq!(t.get_ref().clone().into_inner(), 3);
    /// ```
    #[must_use]
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// Consumes the timeout, returning the inner future.
    ///
    /// # Examples
    ///
    /// ```
    /// let t = async_kit::time::timeout_at(tokio::time::Instant::now(), std::future::ready(3));
    /// assert_eq!(t.into_inner().into_inner(), 3);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: fmt::Debug> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("future", &self.future)
            .field("deadline", &self.own)
            .field("armed", &self.sleep.is_some())
            .finish()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let (effective, inherited) = *this.effective.get_or_insert_with(|| match deadline() {
            Some(outer) if outer < *this.own => (outer, true),
            _ => (*this.own, false),
        });

        {
            let _scope = Scope::enter(effective);
            if let Poll::Ready(output) = this.future.poll(cx) {
                return Poll::Ready(Ok(output));
            }
        }

        if this.sleep.is_none() {
            this.sleep.set(Some(unconstrained(sleep_until(effective))));
        }
        match this.sleep.as_pin_mut() {
            Some(sleep) => {
                ready!(sleep.poll(cx));
                Poll::Ready(Err(Elapsed::new(inherited)))
            }
            None => Poll::Pending,
        }
    }
}
