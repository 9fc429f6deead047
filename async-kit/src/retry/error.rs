use std::fmt;

/// Why a [`retry`](super::retry()) gave up.
///
/// # Examples
///
/// ```
/// use async_kit::retry::{Policy, Reason, retry};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let err = retry(Policy::new().max_attempts(2), || async { Err::<(), _>("down") })
///     .await
///     .unwrap_err();
/// assert_eq!(err.reason(), Reason::Exhausted);
/// assert_eq!(err.attempts(), 2);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The last allowed attempt ([`Policy::max_attempts`]) failed.
    ///
    /// [`Policy::max_attempts`]: super::Policy::max_attempts
    Exhausted,
    /// The next attempt would have started past the propagated deadline, or
    /// with less than [`Policy::min_budget`] left before it.
    ///
    /// [`Policy::min_budget`]: super::Policy::min_budget
    Deadline,
    /// The predicate ([`Retry::when`]) said the error is not worth a retry.
    ///
    /// [`Retry::when`]: super::Retry::when
    Rejected,
    /// The shared [`Budget`](super::Budget) had no retry left.
    Budget,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::Exhausted => "attempts exhausted",
            Reason::Deadline => "not enough time left before the deadline",
            Reason::Rejected => "the error is not retryable",
            Reason::Budget => "retry budget exhausted",
        })
    }
}

/// The error a [`retry`](super::retry()) returns when it gives up: why, after
/// how many attempts, and the last attempt's error.
///
/// `Display` gives the reason and the count; the last error is the
/// [`source`](std::error::Error::source), and [`into_inner`] hands it back.
///
/// # Examples
///
/// ```
/// use std::io;
/// use async_kit::retry::{Policy, Reason, is_transient, retry};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let err = retry(Policy::new(), || async {
///     Err::<(), _>(io::Error::from(io::ErrorKind::PermissionDenied))
/// })
/// .when(is_transient)
/// .await
/// .unwrap_err();
/// assert_eq!(err.reason(), Reason::Rejected);
/// assert_eq!(err.to_string(), "gave up after 1 attempt: the error is not retryable");
/// assert_eq!(err.into_inner().kind(), io::ErrorKind::PermissionDenied);
/// # }
/// ```
///
/// [`into_inner`]: RetryError::into_inner
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryError<E> {
    reason: Reason,
    attempts: u32,
    last: E,
}

impl<E> RetryError<E> {
    pub(crate) const fn new(reason: Reason, attempts: u32, last: E) -> Self {
        RetryError {
            reason,
            attempts,
            last,
        }
    }

    /// Returns why the retry gave up.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::retry::{Policy, Reason, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let err = retry(Policy::new(), || async { Err::<(), _>(3) })
    ///     .when(|e: &i32| *e != 3)
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.reason(), Reason::Rejected);
    /// # }
    /// ```
    #[must_use]
    pub const fn reason(&self) -> Reason {
        self.reason
    }

    /// Returns how many attempts ran, the failed last one included.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::retry::{Policy, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let err = retry(Policy::new().max_attempts(4), || async { Err::<(), _>(()) })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.attempts(), 4);
    /// # }
    /// ```
    #[must_use]
    pub const fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Returns a reference to the last attempt's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::retry::{Policy, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let err = retry(Policy::new(), || async { Err::<(), _>("refused") }).await.unwrap_err();
    /// assert_eq!(*err.get_ref(), "refused");
    /// # }
    /// ```
    #[must_use]
    pub const fn get_ref(&self) -> &E {
        &self.last
    }

    /// Consumes the error, returning the last attempt's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::retry::{Policy, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let err = retry(Policy::new(), || async { Err::<(), _>(42) }).await.unwrap_err();
    /// assert_eq!(err.into_inner(), 42);
    /// # }
    /// ```
    #[must_use]
    pub fn into_inner(self) -> E {
        self.last
    }
}

impl<E> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.attempts == 1 { "" } else { "s" };
        write!(
            f,
            "gave up after {} attempt{plural}: {}",
            self.attempts, self.reason
        )
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RetryError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.last)
    }
}
