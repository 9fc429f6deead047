use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A cooperative cancel flag, handed to the closure of
/// [`offload_with`](super::offload_with).
///
/// The flag is set when the caller drops the job's [`Offload`] future: the
/// caller lost interest, or a deadline passed (wrap the future in
/// [`time::timeout`](crate::time::timeout) or call it from a
/// [`#[timeout]`](crate::timeout) fn, and the timeout drops it). A long
/// computation checks [`is_cancelled`](Self::is_cancelled) now and then and
/// stops early; nothing stops it by force. Clones share the flag, so it can be
/// passed on to nested parallel work.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::offload::offload_with;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let (started_tx, started_rx) = std::sync::mpsc::channel();
/// let (stopped_tx, stopped_rx) = std::sync::mpsc::channel();
/// let job = offload_with(move |cancel| {
///     started_tx.send(()).unwrap();
///     let mut steps = 0_u64;
///     while !cancel.is_cancelled() {
///         steps += 1;
///         std::hint::black_box(steps);
///     }
///     stopped_tx.send(steps).unwrap();
/// });
/// started_rx.recv().unwrap();
/// // A deadline far too short for an endless loop: the timeout drops the
/// // job's future, which sets the flag, and the loop ends.
/// let err = tokio::time::timeout(Duration::from_millis(10), job).await;
/// assert!(err.is_err());
/// assert!(stopped_rx.recv().is_ok());
/// # }
/// ```
///
/// [`Offload`]: super::Offload
#[derive(Clone, Debug, Default)]
pub struct CancelFlag {
    cancelled: Arc<AtomicBool>,
}

impl CancelFlag {
    pub(crate) fn new() -> Self {
        CancelFlag::default()
    }

    pub(crate) fn cancel(&self) {
        // Relaxed: the flag publishes no other data; the closure only needs
        // to see it eventually, which any ordering guarantees.
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Returns `true` once the job's future has been dropped.
    ///
    /// The check is a single relaxed atomic load (about a nanosecond): cheap
    /// enough for every few microseconds of work.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// // The future is awaited to the end, so the flag is never set.
    /// let seen = async_kit::offload::offload_with(|cancel| cancel.is_cancelled()).await;
    /// assert_eq!(seen.unwrap(), false);
    /// # }
    /// ```
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}
