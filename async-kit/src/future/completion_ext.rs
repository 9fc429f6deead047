use std::future::Future;

use super::{OnCancel, OnComplete, OnDone};

/// Callbacks on completion and cancellation for every [`Future`].
///
/// Each combinator runs its callback at most once, on the thread that polls
/// (or drops) the future, and otherwise passes the output through unchanged.
/// They add no allocation and no work to a poll that returns `Pending`; the
/// returned futures are `Send`, `Sync` and `Unpin` when the future and the
/// callback are.
///
/// # Comparison to `futures::FutureExt`
///
/// [`inspect`] is [`on_complete`](Self::on_complete) under another name; it
/// cannot see a cancellation. [`map`] can change the output. To hook a task
/// after it has been spawned, use [`task::spawn`](crate::task::spawn) or
/// [`JoinHandleExt`](crate::task::JoinHandleExt), which also see panics and
/// aborts.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use async_kit::future::CompletionExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let seen = log.clone();
/// let n = async { 42 }
///     .on_complete(move |n: &i32| seen.lock().unwrap().push(*n))
///     .await;
/// assert_eq!(n, 42);
/// assert_eq!(*log.lock().unwrap(), [42]);
/// # }
/// ```
///
/// [`inspect`]: https://docs.rs/futures/0.3/futures/future/trait.FutureExt.html#method.inspect
/// [`map`]: https://docs.rs/futures/0.3/futures/future/trait.FutureExt.html#method.map
pub trait CompletionExt: Future {
    /// Calls `f` with a reference to the output, right after the future
    /// completes and before the output is returned.
    ///
    /// If the future is dropped before it completes, `f` is dropped without
    /// being called.
    ///
    /// # Panics
    ///
    /// Polling the returned future after it has completed panics. A panic of
    /// `f` propagates to the caller of `poll`, and the output is dropped.
    ///
    /// # Cancel safety
    ///
    /// The returned future is cancel safe exactly when `self` is; `f` does
    /// not run if it is cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use async_kit::future::CompletionExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let seen = AtomicU32::new(0);
    /// let out = async { 7 }
    ///     .on_complete(|n: &u32| seen.store(*n, Ordering::Relaxed))
    ///     .await;
    /// assert_eq!((out, seen.load(Ordering::Relaxed)), (7, 7));
    /// # }
    /// ```
    fn on_complete<F>(self, f: F) -> OnComplete<Self, F>
    where
        F: FnOnce(&Self::Output),
        Self: Sized,
    {
        OnComplete::new(self, f)
    }

    /// Calls `f` if the future is dropped before it completes.
    ///
    /// That includes a future that is never polled, one dropped by a timeout
    /// or a `select!`, one whose task is aborted, and one whose poll panicked
    /// (it is dropped while unwinding). `f` runs first, then the inner future
    /// is dropped. If the future completes, `f` is dropped without being
    /// called.
    ///
    /// # Panics
    ///
    /// A panic of `f` propagates from the drop; if the drop happens while the
    /// thread is already unwinding, that aborts the process, as any panic in
    /// a destructor does.
    ///
    /// # Cancel safety
    ///
    /// The returned future is cancel safe exactly when `self` is; cancelling
    /// it is what runs `f`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::time::Duration;
    /// use async_kit::future::CompletionExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let cancelled = AtomicBool::new(false);
    /// let slow = tokio::time::sleep(Duration::from_secs(10))
    ///     .on_cancel(|| cancelled.store(true, Ordering::Relaxed));
    /// let result = tokio::time::timeout(Duration::from_secs(1), slow).await;
    /// assert!(result.is_err());
    /// assert!(cancelled.load(Ordering::Relaxed));
    /// # }
    /// ```
    fn on_cancel<F>(self, f: F) -> OnCancel<Self, F>
    where
        F: FnOnce(),
        Self: Sized,
    {
        OnCancel::new(self, f)
    }

    /// Calls `f` once with `Some(&output)` when the future completes, or with
    /// `None` when it is dropped before completing.
    ///
    /// The rules of [`on_complete`](Self::on_complete) and
    /// [`on_cancel`](Self::on_cancel) apply to each case.
    ///
    /// # Panics
    ///
    /// As for [`on_complete`](Self::on_complete) and
    /// [`on_cancel`](Self::on_cancel).
    ///
    /// # Cancel safety
    ///
    /// The returned future is cancel safe exactly when `self` is; cancelling
    /// it runs `f` with `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use async_kit::future::CompletionExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let log = Mutex::new(Vec::new());
    /// let record = |out: Option<&u32>| log.lock().unwrap().push(out.copied());
    ///
    /// assert_eq!(async { 7 }.on_done(record).await, 7);
    /// drop(std::future::pending::<u32>().on_done(record));
    /// assert_eq!(*log.lock().unwrap(), [Some(7), None]);
    /// # }
    /// ```
    fn on_done<F>(self, f: F) -> OnDone<Self, F>
    where
        F: FnOnce(Option<&Self::Output>),
        Self: Sized,
    {
        OnDone::new(self, f)
    }
}

impl<T: Future + ?Sized> CompletionExt for T {}
