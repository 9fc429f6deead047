//! The error of a put: the cause, and the item handed back.

use std::fmt;

use crate::Error;

/// The error of [`RedisQueue::put`](super::RedisQueue::put) and
/// [`try_put`](super::RedisQueue::try_put): why the item was not put, and the
/// item itself, handed back.
///
/// After [`Error::ShutDown`], [`Error::Full`] and [`Error::Encode`] the item
/// is certainly not in the queue. After [`Error::ConnectionLost`] it may be:
/// the put may have run in Redis before the connection broke. Putting it
/// again is then safe only for consumers that tolerate a duplicate, which
/// at-least-once consumers must anyway.
///
/// # Examples
///
/// ```
/// use async_kit_redis::{Error, PutError};
///
/// let err = PutError::new(Error::Full, "job");
/// assert!(matches!(err.error(), Error::Full));
/// assert_eq!(err.to_string(), "queue is full");
/// assert_eq!(err.into_inner(), "job");
/// ```
pub struct PutError<T> {
    error: Error,
    item: T,
}

impl<T> PutError<T> {
    /// Creates the error of a put of `item` that failed with `error`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::{Error, PutError};
    ///
    /// let err = PutError::new(Error::ShutDown, 7);
    /// assert_eq!(err.to_string(), "queue is shut down");
    /// ```
    pub fn new(error: Error, item: T) -> Self {
        PutError { error, item }
    }

    /// Returns why the put failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::{Error, PutError};
    ///
    /// assert!(matches!(PutError::new(Error::Full, 1).error(), Error::Full));
    /// ```
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// Returns the item that was not put.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::{Error, PutError};
    ///
    /// assert_eq!(PutError::new(Error::Full, 1).into_inner(), 1);
    /// ```
    pub fn into_inner(self) -> T {
        self.item
    }

    /// Returns the cause and the item.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::{Error, PutError};
    ///
    /// let (error, item) = PutError::new(Error::Full, 1).into_parts();
    /// assert!(matches!(error, Error::Full));
    /// assert_eq!(item, 1);
    /// ```
    pub fn into_parts(self) -> (Error, T) {
        (self.error, self.item)
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl<T> std::error::Error for PutError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}
