use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::error::TryAcquireError;
use super::gate::Gate;
use crate::time::{Elapsed, timeout};

/// Limits how many operations use a shared resource at once.
///
/// A cheaply clonable handle over a fair (FIFO) semaphore: every clone
/// shares the same permits. [`run`](Limiter::run) holds a permit exactly
/// while a future runs, [`acquire`](Limiter::acquire) returns a guard, and
/// any future can be written `fut.limited(&limiter)` with
/// [`LimitExt`](crate::sync::LimitExt). The limit can change at run time
/// with [`set_limit`](Limiter::set_limit).
///
/// Dropping a handle does nothing to the others, nor to the permits held.
///
/// # Comparison to `tokio::sync::Semaphore`
///
/// It is a `Semaphore` in an `Arc`, plus what a semaphore leaves to its
/// users: a limit that shrinks without cancelling work (a shrink takes
/// effect as permits come back), live figures ([`in_use`](Limiter::in_use),
/// [`waiting`](Limiter::waiting)), a timed acquire, and guards that need no
/// `Arc<Semaphore>`. A `Limiter` is never closed, so acquiring never fails.
/// Use a bare `Semaphore` for permits of more than one unit at a time.
///
/// # Examples
///
/// ```
/// use async_kit::sync::Limiter;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let limiter = Limiter::new(2);
/// let body = limiter.run(async { 1 + 1 }).await;
/// assert_eq!(body, 2);
///
/// let permit = limiter.acquire().await;
/// assert_eq!(limiter.in_use(), 1);
/// drop(permit);
/// assert_eq!(limiter.in_use(), 0);
/// # }
/// ```
#[derive(Clone)]
pub struct Limiter {
    gate: Arc<Gate>,
}

impl Limiter {
    /// Creates a limiter that lets `limit` operations run at once.
    ///
    /// A limit of zero is allowed: everything waits until
    /// [`set_limit`](Limiter::set_limit) raises it.
    ///
    /// # Panics
    ///
    /// Panics if `limit` exceeds tokio's `Semaphore::MAX_PERMITS`
    /// (`usize::MAX >> 3`).
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::Limiter::new(10);
    /// assert_eq!(limiter.limit(), 10);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn new(limit: usize) -> Self {
        Limiter {
            gate: Arc::new(Gate::new(limit)),
        }
    }

    /// Waits for a permit and returns it as a guard that gives it back when
    /// dropped.
    ///
    /// Waiters are served in the order they started waiting.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute permits in the order
    /// they were requested. Cancelling a call to `acquire` makes you lose
    /// your place in the queue; no permit is taken, and the others' order is
    /// kept.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::sync::Limiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = Limiter::new(1);
    /// let permit = limiter.acquire().await;
    /// assert!(limiter.try_acquire().is_err());
    /// drop(permit);
    /// assert!(limiter.try_acquire().is_ok());
    /// # }
    /// ```
    pub async fn acquire(&self) -> Permit<'_> {
        self.acquire_raw().await;
        Permit { gate: &self.gate }
    }

    /// Waits for a permit and returns it as a guard that owns a handle to
    /// the limiter, so it can move into a spawned task.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute permits in the order
    /// they were requested. Cancelling a call to `acquire_owned` makes you
    /// lose your place in the queue; no permit is taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::sync::Limiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = Limiter::new(1);
    /// let permit = limiter.acquire_owned().await;
    /// let task = tokio::spawn(async move {
    ///     let _permit = permit;
    ///     7
    /// });
    /// assert_eq!(task.await.unwrap(), 7);
    /// assert_eq!(limiter.in_use(), 0);
    /// # }
    /// ```
    pub async fn acquire_owned(&self) -> OwnedPermit {
        self.acquire_raw().await;
        OwnedPermit {
            limiter: self.clone(),
        }
    }

    async fn acquire_raw(&self) {
        // Nothing closes a limiter's gate: only a task pool closes its own.
        self.gate
            .acquire()
            .await
            .expect("a limiter is never closed");
    }

    /// Takes a permit if one is free now, without waiting.
    ///
    /// It never overtakes a waiter: while some call waits in
    /// [`acquire`](Limiter::acquire), no permit is free.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::Limiter::new(1);
    /// let permit = limiter.try_acquire().unwrap();
    /// assert!(limiter.try_acquire().is_err());
    /// drop(permit);
    /// ```
    pub fn try_acquire(&self) -> Result<Permit<'_>, TryAcquireError> {
        self.gate
            .try_acquire()
            .map(|()| Permit { gate: &self.gate })
            .map_err(|_| TryAcquireError::new())
    }

    /// Takes a permit that owns a handle to the limiter if one is free now,
    /// without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::Limiter::new(1);
    /// let permit = limiter.try_acquire_owned().unwrap();
    /// assert!(limiter.try_acquire_owned().is_err());
    /// drop(permit);
    /// assert_eq!(limiter.in_use(), 0);
    /// ```
    pub fn try_acquire_owned(&self) -> Result<OwnedPermit, TryAcquireError> {
        self.gate
            .try_acquire()
            .map(|()| OwnedPermit {
                limiter: self.clone(),
            })
            .map_err(|_| TryAcquireError::new())
    }

    /// Waits for a permit for at most `duration`.
    ///
    /// The deadline is also bounded by any enclosing
    /// [`#[timeout]`](crate::timeout) or [`time::timeout`], as
    /// [`time::timeout`] is what bounds the wait.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute permits in the order
    /// they were requested. Cancelling it, or its timing out, makes you lose
    /// your place in the queue; no permit is taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::sync::Limiter;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = Limiter::new(1);
    /// let _held = limiter.acquire().await;
    /// let err = limiter.acquire_timeout(Duration::from_secs(1)).await.unwrap_err();
    /// assert_eq!(err.to_string(), "deadline has elapsed");
    /// # }
    /// ```
    ///
    /// [`time::timeout`]: crate::time::timeout
    pub async fn acquire_timeout(&self, duration: Duration) -> Result<Permit<'_>, Elapsed> {
        timeout(duration, self.acquire()).await
    }

    /// Runs `fut` while holding a permit, and returns its output.
    ///
    /// The permit is taken before `fut` is first polled and given back as
    /// soon as it completes or is dropped.
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits loses the place in the queue and drops
    /// `fut` unpolled; once `fut` runs, it is cancel safe only if `fut` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::sync::Limiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = Limiter::new(3);
    /// let seen = limiter.run(async { limiter.in_use() }).await;
    /// assert_eq!(seen, 1);
    /// # }
    /// ```
    pub async fn run<F: Future>(&self, fut: F) -> F::Output {
        let _permit = self.acquire().await;
        fut.await
    }

    /// Changes the limit.
    ///
    /// Growing wakes as many waiters as there are new permits, at once.
    /// Shrinking never cancels running work: permits that are free now are
    /// withdrawn at once, and the rest as they come back, so
    /// [`in_use`](Limiter::in_use) may stay above the new limit until then.
    ///
    /// # Panics
    ///
    /// Panics if `limit` exceeds tokio's `Semaphore::MAX_PERMITS`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::sync::Limiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = Limiter::new(2);
    /// let a = limiter.acquire().await;
    /// let b = limiter.acquire().await;
    /// limiter.set_limit(1);
    /// drop(a);
    /// // `a` paid the shrink off: one still runs, none is free.
    /// assert_eq!(limiter.in_use(), 1);
    /// assert!(limiter.try_acquire().is_err());
    /// drop(b);
    /// assert!(limiter.try_acquire().is_ok());
    /// # }
    /// ```
    #[track_caller]
    pub fn set_limit(&self, limit: usize) {
        self.gate.set_limit(limit);
    }

    /// Returns the current limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::Limiter::new(4);
    /// limiter.set_limit(8);
    /// assert_eq!(limiter.limit(), 8);
    /// ```
    #[must_use]
    pub fn limit(&self) -> usize {
        self.gate.limit()
    }

    /// Returns how many permits are held now.
    ///
    /// Right after a shrink it may exceed [`limit`](Limiter::limit).
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::Limiter::new(4);
    /// let _a = limiter.try_acquire().unwrap();
    /// assert_eq!(limiter.in_use(), 1);
    /// ```
    #[must_use]
    pub fn in_use(&self) -> usize {
        self.gate.in_use()
    }

    /// Returns how many calls are waiting for a permit now.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::sync::Limiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = Limiter::new(0);
    /// let waiter = tokio::spawn({
    ///     let limiter = limiter.clone();
    ///     async move { limiter.run(async {}).await }
    /// });
    /// tokio::task::yield_now().await;
    /// assert_eq!(limiter.waiting(), 1);
    /// limiter.set_limit(1);
    /// waiter.await.unwrap();
    /// assert_eq!(limiter.waiting(), 0);
    /// # }
    /// ```
    #[must_use]
    pub fn waiting(&self) -> usize {
        self.gate.waiting()
    }
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("limit", &self.limit())
            .field("in_use", &self.in_use())
            .field("waiting", &self.waiting())
            .finish()
    }
}

/// A permit of a [`Limiter`], given back when dropped.
///
/// Returned by [`Limiter::acquire`] and [`Limiter::try_acquire`].
///
/// # Examples
///
/// ```
/// let limiter = async_kit::sync::Limiter::new(1);
/// let permit = limiter.try_acquire().unwrap();
/// assert_eq!(limiter.in_use(), 1);
/// drop(permit);
/// assert_eq!(limiter.in_use(), 0);
/// ```
#[must_use = "the permit is given back at once if it is not kept"]
pub struct Permit<'a> {
    gate: &'a Gate,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.gate.release();
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

/// A permit of a [`Limiter`] that owns a handle to it, given back when
/// dropped.
///
/// Returned by [`Limiter::acquire_owned`]; it is `'static`, so it can move
/// into a spawned task.
///
/// # Examples
///
/// ```
/// use async_kit::sync::Limiter;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let limiter = Limiter::new(1);
/// let permit = limiter.acquire_owned().await;
/// assert_eq!(permit.limiter().in_use(), 1);
/// # }
/// ```
#[must_use = "the permit is given back at once if it is not kept"]
pub struct OwnedPermit {
    limiter: Limiter,
}

impl OwnedPermit {
    /// Returns the limiter this permit belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::Limiter::new(3);
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let permit = limiter.acquire_owned().await;
    /// assert_eq!(permit.limiter().limit(), 3);
    /// # });
    /// ```
    #[must_use]
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        self.limiter.gate.release();
    }
}

impl fmt::Debug for OwnedPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit")
            .field("limiter", &self.limiter)
            .finish()
    }
}
