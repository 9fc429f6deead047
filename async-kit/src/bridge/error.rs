use std::fmt;

/// The error [`BackgroundRuntime::submit`] returns once the runtime is shut
/// down; it hands the future back.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::bridge::BackgroundRuntime;
///
/// let runtime = BackgroundRuntime::new().unwrap();
/// runtime.shutdown(Duration::from_secs(1));
///
/// let err = runtime.submit(async { 7 }).unwrap_err();
/// assert_eq!(err.to_string(), "background runtime is shut down");
/// let future = err.into_inner();
/// # drop(future);
/// ```
///
/// [`BackgroundRuntime::submit`]: super::BackgroundRuntime::submit
pub struct SubmitError<F> {
    future: F,
}

impl<F> SubmitError<F> {
    pub(crate) fn new(future: F) -> Self {
        SubmitError { future }
    }

    /// Consumes the error, returning the future that was not submitted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::bridge::BackgroundRuntime;
    ///
    /// let runtime = BackgroundRuntime::new().unwrap();
    /// runtime.shutdown(Duration::ZERO);
    /// let future = runtime.submit(async { 7 }).unwrap_err().into_inner();
    /// let other = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(other.block_on(future), 7);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubmitError").finish_non_exhaustive()
    }
}

impl<F> fmt::Display for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("background runtime is shut down")
    }
}

impl<F> std::error::Error for SubmitError<F> {}
