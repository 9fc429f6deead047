//! The errors of the queues, in tokio's shapes: a call that carried an item
//! hands it back.

use std::fmt;

/// The error of [`Queue::put`](super::Queue::put) and the other puts: the
/// queue is shut down. The item that could not be put is handed back.
///
/// # Examples
///
/// ```
/// use async_kit::queue::{PutError, Queue};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let queue = Queue::unbounded();
/// queue.shutdown();
/// let err: PutError<u32> = queue.put(7).await.unwrap_err();
/// assert_eq!(err.to_string(), "queue is shut down");
/// assert_eq!(err.into_inner(), 7);
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PutError<T>(pub T);

impl<T> PutError<T> {
    /// Returns the item that could not be put.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::PutError;
    ///
    /// assert_eq!(PutError("job").into_inner(), "job");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PutError(..)")
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down")
    }
}

impl<T> std::error::Error for PutError<T> {}

/// The error of [`Queue::try_put`](super::Queue::try_put) and the other
/// `try_put`s: the queue is full or shut down. The item is handed back.
///
/// # Examples
///
/// ```
/// use async_kit::queue::{Queue, TryPutError};
///
/// let queue = Queue::bounded(1);
/// queue.try_put(1).unwrap();
/// let err = queue.try_put(2).unwrap_err();
/// assert_eq!(err, TryPutError::Full(2));
/// assert_eq!(err.to_string(), "queue is full");
///
/// queue.shutdown();
/// assert_eq!(queue.try_put(3), Err(TryPutError::ShutDown(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue holds as many items as its capacity (reserved slots
    /// included).
    Full(T),
    /// The queue is shut down.
    ShutDown(T),
}

impl<T> TryPutError<T> {
    /// Returns the item that could not be put.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::TryPutError;
    ///
    /// assert_eq!(TryPutError::Full(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(item) | TryPutError::ShutDown(item) => item,
        }
    }

    /// Returns `true` if the put failed because the queue was full.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::TryPutError;
    ///
    /// assert!(TryPutError::Full(5).is_full());
    /// assert!(!TryPutError::ShutDown(5).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("queue is full"),
            TryPutError::ShutDown(_) => f.write_str("queue is shut down"),
        }
    }
}

impl<T> std::error::Error for TryPutError<T> {}

impl<T> From<PutError<T>> for TryPutError<T> {
    fn from(err: PutError<T>) -> Self {
        TryPutError::ShutDown(err.0)
    }
}

/// The error of [`Queue::get`](super::Queue::get), of
/// [`Queue::reserve`](super::Queue::reserve) and the other waits: the queue
/// is shut down (and, for gets, nothing is left to drain).
///
/// # Examples
///
/// ```
/// use async_kit::queue::{Queue, ShutDown};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let queue = Queue::unbounded();
/// queue.put(1).await.unwrap();
/// queue.shutdown();
/// assert_eq!(queue.get().await, Ok(1));
/// let err: ShutDown = queue.get().await.unwrap_err();
/// assert_eq!(err.to_string(), "queue is shut down");
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShutDown(pub(crate) ());

impl fmt::Display for ShutDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down")
    }
}

impl std::error::Error for ShutDown {}

/// The error of [`Queue::try_get`](super::Queue::try_get) and the other
/// `try_get`s.
///
/// # Examples
///
/// ```
/// use async_kit::queue::{Queue, TryGetError};
///
/// let queue = Queue::<u32>::unbounded();
/// assert_eq!(queue.try_get(), Err(TryGetError::Empty));
/// assert_eq!(TryGetError::Empty.to_string(), "queue is empty");
/// queue.shutdown();
/// assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryGetError {
    /// The queue is empty (and not shut down).
    Empty,
    /// The queue is shut down, and either empty or shut down immediately.
    ShutDown,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("queue is empty"),
            TryGetError::ShutDown => f.write_str("queue is shut down"),
        }
    }
}

impl std::error::Error for TryGetError {}

impl From<ShutDown> for TryGetError {
    fn from(_: ShutDown) -> Self {
        TryGetError::ShutDown
    }
}

/// The error of [`Queue::task_done`](super::Queue::task_done): it was
/// called more times than items were put. The count is left at zero.
///
/// # Examples
///
/// ```
/// use async_kit::queue::Queue;
///
/// let queue = Queue::unbounded();
/// queue.try_put("job").unwrap();
/// assert!(queue.task_done().is_ok());
/// let err = queue.task_done().unwrap_err();
/// assert_eq!(err.to_string(), "task_done() called more times than items were put");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TaskDoneError(pub(crate) ());

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called more times than items were put")
    }
}

impl std::error::Error for TaskDoneError {}
