use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::sync::Arc;

use super::error::TaskError;
use super::job::HasCell;
use crate::task::callbacks::{CallbackId, Outcome};

/// An owned permission to await, abort and check one task of a
/// [`TaskPool`](crate::task::TaskPool).
///
/// Awaiting it gives the task's output, or a [`TaskError`] if it panicked,
/// was aborted, or was stopped by the pool's shutdown. Dropping it detaches
/// the task: it still runs, and its output is dropped.
///
/// It takes asyncio-style done callbacks, run on every outcome: see
/// [`add_done_callback`](Self::add_done_callback).
///
/// It is not `Clone`, as a task has one output; it is `Unpin`.
///
/// # Panics
///
/// Polling it again after it returned its result panics, as for tokio's
/// `JoinHandle`.
///
/// # Examples
///
/// ```
/// use async_kit::task::TaskPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = TaskPool::new(4);
/// let handle = pool.spawn(async { 40 + 2 }).await.unwrap();
/// assert_eq!(handle.await.unwrap(), 42);
/// # }
/// ```
#[must_use = "dropping the handle detaches the task"]
pub struct TaskHandle<T> {
    task: Arc<dyn HasCell<T>>,
}

impl<T> TaskHandle<T> {
    pub(super) fn new(task: Arc<dyn HasCell<T>>) -> Self {
        TaskHandle { task }
    }

    /// Adds a callback to run when the task ends, and returns its id:
    /// asyncio's `Task.add_done_callback` for the pool.
    ///
    /// Callbacks run once each, in the order they were added, on every
    /// outcome: [`Completed`](Outcome::Completed) with a reference to the
    /// output (which the handle still returns afterwards),
    /// [`Panicked`](Outcome::Panicked), or [`Cancelled`](Outcome::Cancelled)
    /// (aborted through the handle, or stopped by the pool's shutdown). They
    /// run on the thread that ends the task, right after its future is
    /// dropped and before the pool counts it as finished: the pool's worker,
    /// or whoever drops a task the pool stops (a shutdown, the last pool
    /// handle dropped). [`TaskPool::join`] and an awaited handle therefore
    /// return only after every callback added before the end has run. A callback added after the task ended runs at once, on this
    /// thread, before this method returns; it sees the output unless the
    /// handle has already returned it.
    ///
    /// A panicking callback is caught: the other callbacks still run and the
    /// task's output is untouched. The panic is reported by the panic hook
    /// (by default a message on standard error), like any panic; the handle
    /// does not report it.
    ///
    /// These are the rules of [`CallbackHandle`](crate::task::CallbackHandle),
    /// built on the same [`DoneCallbacks`](crate::task::DoneCallbacks). A task
    /// that never gets a callback pays nothing for them but one check when
    /// it ends: the callback list is made by the first call.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use async_kit::task::{Outcome, TaskPool};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = TaskPool::new(2);
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let handle = pool.spawn(async { 6 * 7 }).await.unwrap();
    /// for name in ["first", "second"] {
    ///     let log = log.clone();
    ///     handle.add_done_callback(move |outcome: Outcome<'_, i32>| {
    ///         if let Outcome::Completed(Some(n)) = outcome {
    ///             log.lock().unwrap().push(format!("{name}: {n}"));
    ///         }
    ///     });
    /// }
    /// assert_eq!(handle.await.unwrap(), 42);
    /// assert_eq!(*log.lock().unwrap(), ["first: 42", "second: 42"]);
    /// # }
    /// ```
    ///
    /// [`TaskPool::join`]: crate::task::TaskPool::join
    pub fn add_done_callback<F>(&self, callback: F) -> CallbackId
    where
        F: FnOnce(Outcome<'_, T>) + Send + 'static,
    {
        self.task.cell().add_callback(callback)
    }

    /// Removes a callback that has not run yet. Returns `false` if it has
    /// already run (or is running), or was already removed.
    ///
    /// Ids are counted per handle: pass only ids this handle returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = TaskPool::new(1);
    /// let handle = pool.spawn(async {}).await.unwrap();
    /// let id = handle.add_done_callback(|_| panic!("removed, never runs"));
    /// assert!(handle.remove_done_callback(id));
    /// assert!(!handle.remove_done_callback(id));
    /// handle.await.unwrap();
    /// # }
    /// ```
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        self.task.cell().remove_callback(id)
    }

    /// Aborts the task.
    ///
    /// A queued task never starts; a running one is dropped at its next
    /// `.await` point. Awaiting the handle then gives
    /// [`TaskError::Aborted`], unless the task had already finished.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = TaskPool::new(1);
    /// let handle = pool.spawn(std::future::pending::<()>()).await.unwrap();
    /// handle.abort();
    /// assert!(handle.await.unwrap_err().is_aborted());
    /// # }
    /// ```
    pub fn abort(&self) {
        self.task.cell().abort();
    }

    /// Returns `true` once the task has finished: its output or error is
    /// ready to be taken by awaiting the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = TaskPool::new(1);
    /// let handle = pool.spawn(async { 1 }).await.unwrap();
    /// assert!(!handle.is_finished());
    /// pool.join().await;
    /// assert!(handle.is_finished());
    /// # }
    /// ```
    #[must_use]
    pub fn is_finished(&self) -> bool {
        // The pool always hands over a result, even when it drops the task.
        self.task.cell().is_finished()
    }
}

impl<T> Future for TaskHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.cell().poll_result(cx)
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("finished", &self.is_finished())
            .field("aborted", &self.task.cell().is_aborted())
            .finish()
    }
}
