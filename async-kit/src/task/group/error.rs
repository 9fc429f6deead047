use std::any::Any;
use std::fmt;

use crate::time::Elapsed;

/// How a child of a [`TaskGroup`](crate::task::TaskGroup) ended when it
/// did not return `Ok`.
///
/// # Examples
///
/// ```
/// use async_kit::task::{ChildError, TaskGroup};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let group = TaskGroup::supervisor();
/// group.spawn(async { Ok::<_, &str>(1) }).await.unwrap();
/// group.spawn(async { Err("refused") }).await.unwrap();
/// let outcomes = group.join_outcomes().await;
/// assert_eq!(outcomes[0].as_ref().ok(), Some(&1));
/// assert!(matches!(outcomes[1], Err(ChildError::Failed("refused"))));
/// assert_eq!(outcomes[1].as_ref().unwrap_err().to_string(), "child failed: refused");
/// # }
/// ```
pub enum ChildError<E> {
    /// The child returned this error.
    Failed(E),
    /// The child panicked (or its `Drop` did); this is the payload.
    Panicked(Box<dyn Any + Send + 'static>),
    /// The deadline the child inherited from its spawner passed; the child
    /// was dropped.
    Elapsed(Elapsed),
    /// The group dropped the child before it ended: a sibling failed (fail
    /// fast), the group was aborted, or a shutdown's grace ran out.
    Cancelled,
}

impl<E> ChildError<E> {
    /// Returns `true` if the group dropped the child before it ended.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(async_kit::task::ChildError::<()>::Cancelled.is_cancelled());
    /// ```
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ChildError::Cancelled)
    }

    /// Returns `true` if the child panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = async_kit::task::ChildError::<()>::Panicked(Box::new("boom"));
    /// assert!(err.is_panic());
    /// ```
    #[must_use]
    pub fn is_panic(&self) -> bool {
        matches!(self, ChildError::Panicked(_))
    }

    /// Returns the child's own error, if it returned one.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = async_kit::task::ChildError::Failed(7);
    /// assert_eq!(err.into_failed(), Some(7));
    /// ```
    #[must_use]
    pub fn into_failed(self) -> Option<E> {
        match self {
            ChildError::Failed(err) => Some(err),
            _ => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for ChildError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildError::Failed(err) => write!(f, "child failed: {err}"),
            ChildError::Panicked(_) => f.write_str("child panicked"),
            ChildError::Elapsed(elapsed) => write!(f, "child stopped: {elapsed}"),
            ChildError::Cancelled => f.write_str("child was cancelled"),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for ChildError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildError::Failed(err) => f.debug_tuple("Failed").field(err).finish(),
            ChildError::Panicked(_) => f.write_str("Panicked(..)"),
            ChildError::Elapsed(elapsed) => f.debug_tuple("Elapsed").field(elapsed).finish(),
            ChildError::Cancelled => f.write_str("Cancelled"),
        }
    }
}

impl<E> std::error::Error for ChildError<E>
where
    E: std::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChildError::Failed(err) => Some(err),
            ChildError::Elapsed(elapsed) => Some(elapsed),
            _ => None,
        }
    }
}

/// One failed child: its index (the order of spawning) and its error.
///
/// # Examples
///
/// ```
/// use async_kit::task::TaskGroup;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let group = TaskGroup::<(), _>::new();
/// group.spawn(async { Err("no") }).await.unwrap();
/// let err = group.join().await.unwrap_err();
/// assert_eq!(err.failures()[0].index, 0);
/// assert_eq!(err.failures()[0].error.to_string(), "child failed: no");
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Failure<E> {
    /// The child's index: 0 for the first child spawned.
    pub index: usize,
    /// How it failed (never [`ChildError::Cancelled`]).
    pub error: ChildError<E>,
}

/// The error [`TaskGroup::join`](crate::task::TaskGroup::join) returns
/// when a child did not complete: every failure, in the order they
/// happened (asyncio's `ExceptionGroup`), and the children the group
/// cancelled.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::task::TaskGroup;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let group = TaskGroup::new();
/// group.spawn(async {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     Ok(())
/// }).await.unwrap();
/// group.spawn(async { Err("broken") }).await.unwrap();
/// let err = group.join().await.unwrap_err();
/// assert_eq!(err.failures().len(), 1);
/// assert_eq!(err.failures()[0].index, 1);
/// assert_eq!(err.cancelled(), [0]);
/// assert_eq!(err.to_string(), "1 child failed, 1 cancelled; first: child failed: broken");
/// # }
/// ```
#[derive(Debug)]
pub struct GroupError<E> {
    failures: Vec<Failure<E>>,
    cancelled: Vec<usize>,
}

impl<E> GroupError<E> {
    pub(super) fn new(failures: Vec<Failure<E>>, cancelled: Vec<usize>) -> Self {
        GroupError {
            failures,
            cancelled,
        }
    }

    /// Returns every failure, in the order they happened.
    ///
    /// # Examples
    ///
    /// See [`GroupError`].
    #[must_use]
    pub fn failures(&self) -> &[Failure<E>] {
        &self.failures
    }

    /// Returns the indices of the children the group cancelled, in
    /// spawning order.
    ///
    /// # Examples
    ///
    /// See [`GroupError`].
    #[must_use]
    pub fn cancelled(&self) -> &[usize] {
        &self.cancelled
    }

    /// Returns the failures, in the order they happened, handing back the
    /// children's errors and panic payloads.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = TaskGroup::<(), _>::new();
    /// group.spawn(async { Err(String::from("mine")) }).await.unwrap();
    /// let failures = group.join().await.unwrap_err().into_failures();
    /// let first = failures.into_iter().next().unwrap();
    /// assert_eq!(first.error.into_failed().as_deref(), Some("mine"));
    /// # }
    /// ```
    #[must_use]
    pub fn into_failures(self) -> Vec<Failure<E>> {
        self.failures
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failures.len();
        let noun = if failed == 1 { "child" } else { "children" };
        write!(
            f,
            "{failed} {noun} failed, {} cancelled",
            self.cancelled.len()
        )?;
        if let Some(first) = self.failures.first() {
            write!(f, "; first: {}", first.error)?;
        }
        Ok(())
    }
}

impl<E> std::error::Error for GroupError<E>
where
    E: std::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failures
            .first()
            .map(|first| &first.error as &(dyn std::error::Error + 'static))
    }
}
