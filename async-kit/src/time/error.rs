use std::fmt;

/// The error a timeout returns when its deadline passes first.
///
/// A deadline can fire for two reasons: the budget given to this timeout ran
/// out, or the budget of an enclosing timeout (the caller's) ran out first.
/// [`Elapsed::is_inherited`] tells the two apart, which `tokio`'s own
/// [`tokio::time::error::Elapsed`] cannot.
///
/// It converts into [`std::io::Error`] (kind [`TimedOut`]), so `#[timeout]`
/// fns returning [`std::io::Result`] need no glue.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let err = async_kit::time::timeout(Duration::from_secs(1), std::future::pending::<()>())
///     .await
///     .unwrap_err();
/// assert!(!err.is_inherited());
/// assert_eq!(err.to_string(), "deadline has elapsed");
///
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
/// # }
/// ```
///
/// [`TimedOut`]: std::io::ErrorKind::TimedOut
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Elapsed {
    inherited: bool,
}

impl Elapsed {
    pub(crate) const fn new(inherited: bool) -> Self {
        Self { inherited }
    }

    /// Returns `true` when an enclosing timeout's deadline fired, not this
    /// timeout's own.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::timeout;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // The outer budget (1 s) is shorter than the inner one (10 s), so the
    /// // inner timeout fires at 1 s and says that the deadline was inherited.
    /// let outer = timeout(Duration::from_secs(1), async {
    ///     timeout(Duration::from_secs(10), std::future::pending::<()>()).await
    /// });
    /// let inner_result = outer.await.unwrap();
    /// assert!(inner_result.unwrap_err().is_inherited());
    /// # }
    /// ```
    #[must_use]
    pub const fn is_inherited(&self) -> bool {
        self.inherited
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inherited {
            f.write_str("deadline inherited from the caller has elapsed")
        } else {
            f.write_str("deadline has elapsed")
        }
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(err: Elapsed) -> Self {
        std::io::Error::new(std::io::ErrorKind::TimedOut, err)
    }
}

impl From<tokio::time::error::Elapsed> for Elapsed {
    fn from(_: tokio::time::error::Elapsed) -> Self {
        Elapsed::new(false)
    }
}
