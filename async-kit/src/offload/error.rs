use std::any::Any;
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// The error an offloaded job returns when it did not produce a value.
///
/// Either the closure panicked (the payload is kept, as in tokio's
/// [`JoinError`]), or the job was cancelled before it ran (the runtime of
/// [`offload_blocking`] shut down first).
///
/// A panic never aborts the process and never unwinds into the caller: it
/// comes back here, and [`resume_unwind`] re-raises it when wanted.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = async_kit::offload::offload(|| -> u32 { panic!("boom") })
///     .await
///     .unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(err.to_string(), "job panicked: boom");
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// # }
/// ```
///
/// [`JoinError`]: tokio::task::JoinError
/// [`offload_blocking`]: super::offload_blocking
/// [`resume_unwind`]: std::panic::resume_unwind
pub struct OffloadError {
    repr: Repr,
}

enum Repr {
    // The mutex makes the error `Sync` (so it fits `anyhow` and
    // `Box<dyn Error + Send + Sync>`) without unsafe code; it is only locked
    // to read the message.
    Panicked(Mutex<Box<dyn Any + Send + 'static>>),
    Cancelled,
}

impl OffloadError {
    pub(crate) fn panicked(payload: Box<dyn Any + Send + 'static>) -> Self {
        OffloadError {
            repr: Repr::Panicked(Mutex::new(payload)),
        }
    }

    pub(crate) fn cancelled() -> Self {
        OffloadError {
            repr: Repr::Cancelled,
        }
    }

    /// Returns `true` if the job panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = async_kit::offload::offload(|| panic!("no")).await.unwrap_err();
    /// assert!(err.is_panic());
    /// assert!(!err.is_cancelled());
    /// # }
    /// ```
    #[must_use]
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panicked(_))
    }

    /// Returns `true` if the job was cancelled before it ran.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = async_kit::offload::offload_blocking(|| panic!("no")).await.unwrap_err();
    /// assert!(!err.is_cancelled());
    /// # }
    /// ```
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Consumes the error, returning the panic payload.
    ///
    /// # Panics
    ///
    /// Panics if the error is not a panic (see [`is_panic`](Self::is_panic));
    /// [`try_into_panic`](Self::try_into_panic) never panics.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = async_kit::offload::offload(|| std::panic::panic_any(7_u8))
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(*err.into_panic().downcast::<u8>().unwrap(), 7);
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`OffloadError::into_panic` called on an error that is not a panic")
    }

    /// Consumes the error, returning the panic payload, or the error itself
    /// when it is not a panic.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = async_kit::offload::offload(|| panic!("oops")).await.unwrap_err();
    /// let payload = err.try_into_panic().ok().unwrap();
    /// assert_eq!(*payload.downcast::<&str>().unwrap(), "oops");
    /// # }
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, Self> {
        match self.repr {
            Repr::Panicked(payload) => {
                Ok(payload.into_inner().unwrap_or_else(PoisonError::into_inner))
            }
            Repr::Cancelled => Err(self),
        }
    }

    fn panic_message(&self) -> Option<String> {
        match &self.repr {
            Repr::Panicked(payload) => {
                let payload = payload.lock().unwrap_or_else(PoisonError::into_inner);
                payload
                    .downcast_ref::<&'static str>()
                    .map(|message| (*message).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
            }
            Repr::Cancelled => None,
        }
    }
}

impl fmt::Display for OffloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Panicked(_), Some(message)) => write!(f, "job panicked: {message}"),
            (Repr::Panicked(_), None) => f.write_str("job panicked"),
            (Repr::Cancelled, _) => f.write_str("job was cancelled before it ran"),
        }
    }
}

impl fmt::Debug for OffloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Panicked(_), Some(message)) => {
                f.debug_tuple("Panicked").field(&message).finish()
            }
            (Repr::Panicked(_), None) => f.debug_tuple("Panicked").finish_non_exhaustive(),
            (Repr::Cancelled, _) => f.write_str("Cancelled"),
        }
    }
}

impl std::error::Error for OffloadError {}

/// The error [`CpuPool::try_offload`] returns when the pool's queue is full;
/// it hands the closure back.
///
/// # Examples
///
/// ```
/// use async_kit::offload::CpuPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = CpuPool::builder().threads(1).queue_capacity(1).build().unwrap();
/// let (started_tx, started_rx) = std::sync::mpsc::channel();
/// let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
/// let running = pool.try_offload(move || {
///     started_tx.send(()).unwrap();
///     go_rx.recv().unwrap();
/// }).unwrap();
/// started_rx.recv().unwrap(); // the only thread is busy
/// let queued = pool.try_offload(|| 1).unwrap(); // takes the only queue slot
///
/// let err = pool.try_offload(|| 2).unwrap_err();
/// assert_eq!(err.to_string(), "cpu pool queue is full");
/// assert_eq!(err.into_inner()(), 2);
///
/// go_tx.send(()).unwrap();
/// running.await.unwrap();
/// assert_eq!(queued.await.unwrap(), 1);
/// # }
/// ```
///
/// [`CpuPool::try_offload`]: super::CpuPool::try_offload
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
pub struct TryOffloadError<F> {
    closure: F,
}

#[cfg(feature = "rayon")]
impl<F> TryOffloadError<F> {
    pub(crate) fn new(closure: F) -> Self {
        TryOffloadError { closure }
    }

    /// Consumes the error, returning the closure that was not submitted.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::offload::CpuPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = CpuPool::builder().threads(1).queue_capacity(1).build().unwrap();
    /// let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    /// let (started_tx, started_rx) = std::sync::mpsc::channel();
    /// let busy = pool
    ///     .try_offload(move || {
    ///         started_tx.send(()).unwrap();
    ///         go_rx.recv().unwrap();
    ///     })
    ///     .unwrap();
    /// started_rx.recv().unwrap();
    /// let queued = pool.try_offload(|| "queued").unwrap();
    ///
    /// let closure = pool.try_offload(|| "handed back").unwrap_err().into_inner();
    /// assert_eq!(closure(), "handed back");
    /// go_tx.send(()).unwrap();
    /// busy.await.unwrap();
    /// assert_eq!(queued.await.unwrap(), "queued");
    /// # }
    /// ```
    #[must_use]
    pub fn into_inner(self) -> F {
        self.closure
    }
}

#[cfg(feature = "rayon")]
impl<F> fmt::Debug for TryOffloadError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryOffloadError").finish_non_exhaustive()
    }
}

#[cfg(feature = "rayon")]
impl<F> fmt::Display for TryOffloadError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cpu pool queue is full")
    }
}

#[cfg(feature = "rayon")]
impl<F> std::error::Error for TryOffloadError<F> {}
