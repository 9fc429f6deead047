use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tokio::task::{AbortHandle, Id, JoinError, JoinHandle};

use super::done_callbacks::{CallbackId, DoneCallbacks, Outcome};

/// Spawns `future` as a tokio task whose handle takes done callbacks.
///
/// This is [`tokio::spawn`] plus a wrapper inside the task that reports its
/// end to the handle's callbacks: completion, panic (caught, reported, then
/// resumed, so the handle still gives tokio's [`JoinError`]) and
/// cancellation (abort or runtime shutdown: the future is dropped first,
/// then the callbacks run). Callbacks run on the task's thread, right after
/// the future finishes and before the handle can return; an awaited handle
/// therefore returns only after every callback added before the end has run.
///
/// The cost over `tokio::spawn` is one allocation and one uncontended lock
/// when the task ends.
///
/// # Deadlines
///
/// The task does **not** inherit the deadline in force where it is spawned:
/// this is `tokio::spawn`'s contract, and its [`JoinError`] has no way to
/// say that a deadline stopped the task. For tasks bounded by their
/// spawner's deadline, spawn them on a
/// [`TaskPool`](crate::task::TaskPool::spawn) or a
/// [`TaskGroup`](crate::task::TaskGroup), or pass the deadline on by hand:
///
/// ```
/// use std::time::Duration;
/// use async_kit::{task, time};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let handle = time::timeout(Duration::from_secs(1), async {
///     let deadline = async_kit::deadline().expect("inside a timeout");
///     task::spawn(time::timeout_at(deadline, tokio::time::sleep(Duration::from_secs(5))))
/// })
/// .await
/// .unwrap();
/// assert!(handle.await.unwrap().is_err(), "stopped at the spawner's deadline");
/// # }
/// ```
///
/// # Panics
///
/// Panics when called outside a tokio runtime, as `tokio::spawn` does.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use async_kit::task::{self, Outcome};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let handle = task::spawn(async { 6 * 7 });
/// let seen = log.clone();
/// handle.add_done_callback(move |outcome: Outcome<'_, i32>| {
///     if let Outcome::Completed(Some(n)) = outcome {
///         seen.lock().unwrap().push(*n);
///     }
/// });
/// assert_eq!(handle.await.unwrap(), 42);
/// assert_eq!(*log.lock().unwrap(), [42]);
/// # }
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> CallbackHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let callbacks = Arc::new(DoneCallbacks::new());
    let join = tokio::spawn(Watched {
        future: Some(future),
        callbacks: callbacks.clone(),
    });
    CallbackHandle {
        task: join.abort_handle(),
        join,
        callbacks,
    }
}

pin_project! {
    // The spawned task: the user's future, reporting its end.
    struct Watched<F: Future> {
        #[pin]
        future: Option<F>,
        callbacks: Arc<DoneCallbacks<F::Output>>,
    }

    impl<F: Future> PinnedDrop for Watched<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Dropped before completing: drop the future first (its own
                // cleanup runs before the callbacks see `Cancelled`).
                let _report = ReportOnDrop { callbacks: this.callbacks, panicked: false };
                this.future.set(None);
            }
        }
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = Result<(), JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            unreachable!("tokio never polls a finished task")
        };
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => {
                this.future.set(None);
                // We are the only reporter, so this cannot fail.
                let _ = this.callbacks.complete(output);
                Poll::Ready(Ok(()))
            }
            Err(payload) => {
                {
                    let _report = ReportOnDrop {
                        callbacks: this.callbacks,
                        panicked: true,
                    };
                    this.future.set(None);
                }
                resume_unwind(payload)
            }
        }
    }
}

/// Reports the end of a task when dropped: after the future it guards is
/// dropped, and even if dropping it panics.
struct ReportOnDrop<'a, T> {
    callbacks: &'a DoneCallbacks<T>,
    panicked: bool,
}

impl<T> Drop for ReportOnDrop<'_, T> {
    fn drop(&mut self) {
        // A no-op if the end was already reported.
        if self.panicked {
            self.callbacks.panicked();
        } else {
            self.callbacks.cancelled();
        }
    }
}

/// A handle to a spawned task that takes done callbacks: asyncio's
/// `Task.add_done_callback` for tokio.
///
/// Made by [`spawn`] and [`JoinHandleExt::with_callbacks`]. Await it like
/// tokio's [`JoinHandle`] for the task's output or [`JoinError`].
///
/// Dropping the handle detaches the task, as dropping a `JoinHandle` does:
/// the task keeps running and its callbacks still run when it ends. It is
/// not `Clone`, because it owns the task's output.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use async_kit::task::{self, Outcome};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let handle = task::spawn(std::future::pending::<()>());
/// let cancelled = Arc::new(AtomicBool::new(false));
/// let flag = cancelled.clone();
/// handle.add_done_callback(move |outcome| {
///     flag.store(matches!(outcome, Outcome::Cancelled), Ordering::SeqCst);
/// });
/// handle.abort();
/// assert!(handle.await.unwrap_err().is_cancelled());
/// assert!(cancelled.load(Ordering::SeqCst));
/// # }
/// ```
///
/// [`JoinHandleExt::with_callbacks`]: crate::task::JoinHandleExt::with_callbacks
pub struct CallbackHandle<T> {
    // The task that reports to `callbacks`: the spawned task itself, or the
    // watcher of a tokio `JoinHandle`.
    join: JoinHandle<Result<(), JoinError>>,
    // The user's task, for `abort` and `id`.
    task: AbortHandle,
    callbacks: Arc<DoneCallbacks<T>>,
}

impl<T> CallbackHandle<T> {
    pub(super) fn from_parts(
        join: JoinHandle<Result<(), JoinError>>,
        task: AbortHandle,
        callbacks: Arc<DoneCallbacks<T>>,
    ) -> Self {
        CallbackHandle {
            join,
            task,
            callbacks,
        }
    }

    /// Adds a callback to run when the task ends, and returns its id.
    ///
    /// Callbacks run once each, in the order they were added, on every
    /// outcome: [`Completed`](Outcome::Completed) with a reference to the
    /// output, [`Panicked`](Outcome::Panicked) or
    /// [`Cancelled`](Outcome::Cancelled) (aborted, or the runtime shut
    /// down). A callback added after the task ended runs at once, on this
    /// thread, before this method returns; it sees the output unless the
    /// handle has already returned it.
    ///
    /// A panicking callback is caught: the other callbacks still run and the
    /// task's output is untouched. The panic is reported by the panic hook
    /// (by default a message on standard error), like any panic; the handle
    /// does not report it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use async_kit::task;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let order = Arc::new(Mutex::new(Vec::new()));
    /// let handle = task::spawn(async {});
    /// for i in 0..3 {
    ///     let order = order.clone();
    ///     handle.add_done_callback(move |_| order.lock().unwrap().push(i));
    /// }
    /// handle.await.unwrap();
    /// assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
    /// # }
    /// ```
    pub fn add_done_callback<F>(&self, callback: F) -> CallbackId
    where
        F: FnOnce(Outcome<'_, T>) + Send + 'static,
    {
        self.callbacks.add(callback)
    }

    /// Removes a callback that has not run yet. Returns `false` if it has
    /// already run or was already removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let handle = task::spawn(async {});
    /// let id = handle.add_done_callback(|_| panic!("removed, never runs"));
    /// assert!(handle.remove_done_callback(id));
    /// handle.await.unwrap();
    /// # }
    /// ```
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        self.callbacks.remove(id)
    }

    /// Aborts the task, as [`JoinHandle::abort`] does. The callbacks then
    /// see [`Outcome::Cancelled`], unless the task had already finished.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let handle = async_kit::task::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # }
    /// ```
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Returns `true` once the task has ended and its end has been reported
    /// to the callbacks.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let handle = async_kit::task::spawn(async {});
    /// assert!(!handle.is_finished());
    /// tokio::task::yield_now().await;
    /// assert!(handle.is_finished());
    /// # }
    /// ```
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.callbacks.is_finished()
    }

    /// Returns the tokio task id of the task.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let handle = async_kit::task::spawn(async { tokio::task::id() });
    /// let id = handle.id();
    /// assert_eq!(handle.await.unwrap(), id);
    /// # }
    /// ```
    #[must_use]
    pub fn id(&self) -> Id {
        self.task.id()
    }

    /// Returns an [`AbortHandle`] of the task.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let handle = async_kit::task::spawn(std::future::pending::<()>());
    /// handle.abort_handle().abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # }
    /// ```
    #[must_use]
    pub fn abort_handle(&self) -> AbortHandle {
        self.task.clone()
    }
}

impl<T> Future for CallbackHandle<T> {
    type Output = Result<T, JoinError>;

    /// # Panics
    ///
    /// Panics if polled after it returned `Ready`.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = ready!(Pin::new(&mut self.join).poll(cx));
        Poll::Ready(match result {
            Ok(Ok(())) => Ok(self
                .callbacks
                .take_output()
                .expect("`CallbackHandle` polled after completion")),
            Ok(Err(err)) | Err(err) => Err(err),
        })
    }
}

impl<T> fmt::Debug for CallbackHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle")
            .field("id", &self.task.id())
            .field("callbacks", &self.callbacks)
            .finish()
    }
}
