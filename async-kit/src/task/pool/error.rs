use std::any::Any;
use std::fmt;

use crate::time::Elapsed;

/// Why a [`TaskPool`](crate::task::TaskPool) task gave no output.
///
/// # Examples
///
/// ```
/// use async_kit::task::{TaskError, TaskPool};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = TaskPool::new(2);
/// let handle = pool.spawn(async { panic!("boom") }).await.unwrap();
/// let err: TaskError = handle.await.unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(err.to_string(), "task panicked");
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// # }
/// ```
///
/// New variants may be added in minor releases (the enum is
/// `#[non_exhaustive]`): match the ones you handle and keep a `_` arm.
#[non_exhaustive]
pub enum TaskError {
    /// The task panicked; the payload is kept.
    Panicked(Box<dyn Any + Send + 'static>),
    /// The task was aborted through its handle.
    Aborted,
    /// The pool shut down, or its last handle was dropped, before the task
    /// finished.
    Shutdown,
    /// The deadline the task inherited from its spawner passed (see
    /// [`TaskPool::spawn`](crate::task::TaskPool::spawn)); the task was
    /// dropped there. [`Elapsed::is_inherited`] is `true`.
    Elapsed(Elapsed),
}

impl TaskError {
    /// Returns `true` if the task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!async_kit::task::TaskError::Aborted.is_panic());
    /// ```
    #[must_use]
    pub fn is_panic(&self) -> bool {
        matches!(self, TaskError::Panicked(_))
    }

    /// Returns `true` if the task was aborted through its handle.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(async_kit::task::TaskError::Aborted.is_aborted());
    /// ```
    #[must_use]
    pub fn is_aborted(&self) -> bool {
        matches!(self, TaskError::Aborted)
    }

    /// Returns `true` if the pool stopped the task when shutting down.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(async_kit::task::TaskError::Shutdown.is_shutdown());
    /// ```
    #[must_use]
    pub fn is_shutdown(&self) -> bool {
        matches!(self, TaskError::Shutdown)
    }

    /// Returns `true` if the task was stopped at the deadline it inherited
    /// from its spawner.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = TaskPool::new(2);
    /// // Spawned under a one-second deadline, the task inherits it.
    /// let handle = async_kit::time::timeout(Duration::from_secs(1), async {
    ///     pool.spawn(tokio::time::sleep(Duration::from_secs(5))).await.unwrap()
    /// })
    /// .await
    /// .unwrap();
    /// let err = handle.await.unwrap_err();
    /// assert!(err.is_elapsed());
    /// # }
    /// ```
    #[must_use]
    pub fn is_elapsed(&self) -> bool {
        matches!(self, TaskError::Elapsed(_))
    }

    /// Returns the panic payload, to resume the panic with
    /// [`std::panic::resume_unwind`] or to inspect it.
    ///
    /// # Panics
    ///
    /// Panics if the task did not panic.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = async_kit::task::TaskError::Panicked(Box::new(3_u8));
    /// assert_eq!(*err.into_panic().downcast::<u8>().unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self {
            TaskError::Panicked(payload) => payload,
            other => panic!("`into_panic` called on a task error that is not a panic: {other}"),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskError::Panicked(_) => "task panicked",
            TaskError::Aborted => "task was aborted",
            TaskError::Shutdown => "task pool was shut down",
            TaskError::Elapsed(_) => "task stopped at the deadline it inherited from its spawner",
        })
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Panicked(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
                match message {
                    Some(message) => f.debug_tuple("Panicked").field(&message).finish(),
                    None => f.debug_tuple("Panicked").field(&"..").finish(),
                }
            }
            TaskError::Aborted => f.write_str("Aborted"),
            TaskError::Shutdown => f.write_str("Shutdown"),
            TaskError::Elapsed(elapsed) => f.debug_tuple("Elapsed").field(elapsed).finish(),
        }
    }
}

impl std::error::Error for TaskError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TaskError::Elapsed(elapsed) => Some(elapsed),
            _ => None,
        }
    }
}

/// The error [`TaskPool::spawn`](crate::task::TaskPool::spawn) returns when
/// the pool is shut down; the future is handed back, never polled.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::task::TaskPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = TaskPool::new(1);
/// pool.shutdown(Duration::ZERO).await;
/// let err = pool.spawn(async { 9 }).await.unwrap_err();
/// assert_eq!(err.to_string(), "task pool is shut down");
/// assert_eq!(err.into_inner().await, 9);
/// # }
/// ```
pub struct SpawnError<F>(pub F);

impl<F> SpawnError<F> {
    /// Returns the future that was not spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = async_kit::task::SpawnError(std::future::ready(1));
    /// assert_eq!(err.into_inner().into_inner(), 1);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Display for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task pool is shut down")
    }
}

impl<F> fmt::Debug for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpawnError(..)")
    }
}

impl<F> std::error::Error for SpawnError<F> {}

/// The error [`TaskPool::try_spawn`](crate::task::TaskPool::try_spawn)
/// returns; the future is handed back, never polled.
///
/// # Examples
///
/// ```
/// use async_kit::task::{TaskPool, TrySpawnError};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = TaskPool::new(0);
/// let err = pool.try_spawn(async { 4 }).unwrap_err();
/// assert!(matches!(err, TrySpawnError::Full(_)));
/// assert_eq!(err.to_string(), "task pool is full");
/// assert_eq!(err.into_inner().await, 4);
/// # }
/// ```
pub enum TrySpawnError<F> {
    /// Every slot (running and queued) is taken.
    Full(F),
    /// The pool is shut down.
    Closed(F),
}

impl<F> TrySpawnError<F> {
    /// Returns the future that was not spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = async_kit::task::TrySpawnError::Full(std::future::ready(2));
    /// assert_eq!(err.into_inner().into_inner(), 2);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> F {
        match self {
            TrySpawnError::Full(f) | TrySpawnError::Closed(f) => f,
        }
    }
}

impl<F> fmt::Display for TrySpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySpawnError::Full(_) => "task pool is full",
            TrySpawnError::Closed(_) => "task pool is shut down",
        })
    }
}

impl<F> fmt::Debug for TrySpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySpawnError::Full(_) => "Full(..)",
            TrySpawnError::Closed(_) => "Closed(..)",
        })
    }
}

impl<F> std::error::Error for TrySpawnError<F> {}

/// The error [`TaskPool::spawn_timeout`](crate::task::TaskPool::spawn_timeout)
/// returns; the future is handed back, never polled.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::task::{SpawnTimeoutError, TaskPool};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let pool = TaskPool::new(0);
/// let err = pool.spawn_timeout(Duration::from_secs(1), async { 6 }).await.unwrap_err();
/// assert!(matches!(err, SpawnTimeoutError::Elapsed(_)));
/// assert_eq!(err.to_string(), "no slot freed before the deadline");
/// assert_eq!(err.into_inner().await, 6);
/// # }
/// ```
pub enum SpawnTimeoutError<F> {
    /// No slot became free before the deadline.
    Elapsed(F),
    /// The pool is shut down.
    Closed(F),
}

impl<F> SpawnTimeoutError<F> {
    /// Returns the future that was not spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = async_kit::task::SpawnTimeoutError::Elapsed(std::future::ready(2));
    /// assert_eq!(err.into_inner().into_inner(), 2);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> F {
        match self {
            SpawnTimeoutError::Elapsed(f) | SpawnTimeoutError::Closed(f) => f,
        }
    }
}

impl<F> fmt::Display for SpawnTimeoutError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpawnTimeoutError::Elapsed(_) => "no slot freed before the deadline",
            SpawnTimeoutError::Closed(_) => "task pool is shut down",
        })
    }
}

impl<F> fmt::Debug for SpawnTimeoutError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpawnTimeoutError::Elapsed(_) => "Elapsed(..)",
            SpawnTimeoutError::Closed(_) => "Closed(..)",
        })
    }
}

impl<F> std::error::Error for SpawnTimeoutError<F> {}
