use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::sync::Arc;

use super::cell::Cell;
use super::error::TaskError;

/// An owned permission to await, abort and check one task of a
/// [`TaskPool`](crate::task::TaskPool).
///
/// Awaiting it gives the task's output, or a [`TaskError`] if it panicked,
/// was aborted, or was stopped by the pool's shutdown. Dropping it detaches
/// the task: it still runs, and its output is dropped.
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
    cell: Arc<Cell<T>>,
}

impl<T> TaskHandle<T> {
    pub(crate) fn new(cell: Arc<Cell<T>>) -> Self {
        TaskHandle { cell }
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
        self.cell.abort();
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
        self.cell.is_finished()
    }
}

impl<T> Future for TaskHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.cell.poll_result(cx)
    }
}

impl<T> fmt::Debug for TaskHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("finished", &self.is_finished())
            .field("aborted", &self.cell.is_aborted())
            .finish()
    }
}
