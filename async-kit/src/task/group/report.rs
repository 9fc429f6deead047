use super::error::ChildError;

/// A snapshot of a [`TaskGroup`](crate::task::TaskGroup)'s live figures,
/// from [`TaskGroup::figures`](crate::task::TaskGroup::figures).
///
/// Counts are read one by one while children run, so each is exact but
/// they are not taken at one instant. A child is counted once, when it
/// ends.
///
/// # Examples
///
/// ```
/// use async_kit::task::TaskGroup;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let group = TaskGroup::supervisor();
/// group.spawn(async { Ok::<_, ()>(1) }).await.unwrap();
/// group.spawn(async { Err(()) }).await.unwrap();
/// group.spawn(async { panic!("boom") }).await.unwrap();
/// tokio::task::yield_now().await;
/// let figures = group.figures();
/// assert_eq!((figures.completed, figures.failed, figures.panicked), (1, 1, 1));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct GroupFigures {
    /// Children started and not ended (running or waiting inside).
    pub running: usize,
    /// Children accepted but not started.
    pub queued: usize,
    /// Children that returned `Ok`.
    pub completed: u64,
    /// Children that returned `Err` or were stopped at their inherited
    /// deadline.
    pub failed: u64,
    /// Children that panicked.
    pub panicked: u64,
    /// Children the group dropped before they ended.
    pub cancelled: u64,
    /// The highest `running` ever seen.
    pub peak_running: usize,
}

/// What [`TaskGroup::shutdown`](crate::task::TaskGroup::shutdown) returns:
/// every child's outcome, in spawning order, and who finished by itself,
/// who was aborted and who panicked.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::task::TaskGroup;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let group = TaskGroup::<&str, ()>::new();
/// let token = group.token();
/// group.spawn(async move {
///     token.cancelled().await;
///     Ok("cleaned up")
/// }).await.unwrap();
/// group.spawn(std::future::pending()).await.unwrap();
/// let report = group.shutdown(Duration::from_secs(1)).await;
/// assert_eq!(report.finished(), [0]);
/// assert_eq!(report.aborted(), [1]);
/// assert!(report.panicked().is_empty());
/// assert_eq!(report.outcomes()[0].as_ref().ok(), Some(&"cleaned up"));
/// # }
/// ```
#[derive(Debug)]
pub struct GroupReport<T, E> {
    outcomes: Vec<Result<T, ChildError<E>>>,
}

impl<T, E> GroupReport<T, E> {
    pub(super) fn new(outcomes: Vec<Result<T, ChildError<E>>>) -> Self {
        GroupReport { outcomes }
    }

    fn indices(&self, keep: impl Fn(&Result<T, ChildError<E>>) -> bool) -> Vec<usize> {
        self.outcomes
            .iter()
            .enumerate()
            .filter(|(_, outcome)| keep(outcome))
            .map(|(index, _)| index)
            .collect()
    }

    /// Returns the children that ended by themselves, with `Ok` or `Err`.
    ///
    /// # Examples
    ///
    /// See [`GroupReport`].
    #[must_use]
    pub fn finished(&self) -> Vec<usize> {
        self.indices(|outcome| matches!(outcome, Ok(_) | Err(ChildError::Failed(_))))
    }

    /// Returns the children that were dropped: by the group (after the
    /// grace, or because a sibling failed) or at their inherited deadline.
    ///
    /// # Examples
    ///
    /// See [`GroupReport`].
    #[must_use]
    pub fn aborted(&self) -> Vec<usize> {
        self.indices(|outcome| {
            matches!(outcome, Err(ChildError::Cancelled | ChildError::Elapsed(_)))
        })
    }

    /// Returns the children that panicked.
    ///
    /// # Examples
    ///
    /// See [`GroupReport`].
    #[must_use]
    pub fn panicked(&self) -> Vec<usize> {
        self.indices(|outcome| matches!(outcome, Err(ChildError::Panicked(_))))
    }

    /// Returns every child's outcome, in spawning order.
    ///
    /// # Examples
    ///
    /// See [`GroupReport`].
    pub fn outcomes(&self) -> &[Result<T, ChildError<E>>] {
        &self.outcomes
    }

    /// Hands back every child's outcome, in spawning order.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = async_kit::task::TaskGroup::<u8, ()>::new();
    /// group.spawn(async { Ok(3) }).await.unwrap();
    /// let outcomes = group.shutdown(Duration::ZERO).await.into_outcomes();
    /// assert_eq!(outcomes.into_iter().next().unwrap().ok(), Some(3));
    /// # }
    /// ```
    #[must_use]
    pub fn into_outcomes(self) -> Vec<Result<T, ChildError<E>>> {
        self.outcomes
    }
}
