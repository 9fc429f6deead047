use std::fmt;

/// The error [`Limiter::try_acquire`] and [`KeyedLimiter::try_acquire`]
/// return when every permit is in use.
///
/// # Examples
///
/// ```
/// use async_kit::sync::Limiter;
///
/// let limiter = Limiter::new(0);
/// let err = limiter.try_acquire().unwrap_err();
/// assert_eq!(err.to_string(), "no permits available");
/// ```
///
/// [`Limiter::try_acquire`]: crate::sync::Limiter::try_acquire
/// [`KeyedLimiter::try_acquire`]: crate::sync::KeyedLimiter::try_acquire
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TryAcquireError(());

impl TryAcquireError {
    pub(crate) const fn new() -> Self {
        TryAcquireError(())
    }
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no permits available")
    }
}

impl std::error::Error for TryAcquireError {}
