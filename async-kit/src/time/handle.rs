use std::fmt;
use std::sync::Arc;

use tokio::time::Instant;

use super::driver::{Core, Entry, Status};

/// A handle to a scheduled callback: cancel it, see when it runs, move it.
///
/// Returned by [`call_soon`], [`call_later`], [`call_at`], their `spawn_*`
/// forms, [`call_every`] and the same methods of [`Scheduler`]. It is
/// asyncio's `TimerHandle`, usable from any thread: it is `Send + Sync`, and
/// [`cancel`](Self::cancel) takes effect at once wherever it is called.
///
/// Cloning gives another handle to the same timer. Dropping a handle does
/// **not** cancel the timer (as with asyncio's handles and tokio's
/// `JoinHandle`); keep one, or use a [`Scheduler`], to cancel it later.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::call_later;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let handle = call_later(Duration::from_secs(5), || unreachable!("cancelled"));
/// let other = handle.clone();
/// std::thread::spawn(move || assert!(other.cancel())).join().unwrap();
/// assert!(handle.is_cancelled());
/// tokio::time::sleep(Duration::from_secs(10)).await;
/// # }
/// ```
///
/// [`call_soon`]: super::call_soon
/// [`call_later`]: super::call_later
/// [`call_at`]: super::call_at
/// [`call_every`]: super::call_every
/// [`Scheduler`]: super::Scheduler
#[derive(Clone)]
pub struct TimerHandle {
    entry: Arc<Entry>,
    core: Arc<Core>,
}

impl TimerHandle {
    pub(crate) fn new(entry: Arc<Entry>, core: Arc<Core>) -> Self {
        TimerHandle { entry, core }
    }

    /// Cancels the timer: its callback will not run (again), even if it is
    /// already due, and is dropped now.
    ///
    /// Returns `true` if this call cancelled it, `false` if it had already
    /// run, was cancelled, or its scheduler was closed. A periodic callback
    /// that is running when it is cancelled finishes that run, then stops;
    /// a one-shot callback that has started cannot be cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::call_later;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    /// let tx2 = tx.clone();
    /// let kept = call_later(Duration::from_secs(1), move || tx.send("kept").unwrap());
    /// let dropped = call_later(Duration::from_secs(1), move || tx2.send("dropped").unwrap());
    /// assert!(dropped.cancel());
    /// assert!(!dropped.cancel(), "only the first call cancels");
    ///
    /// assert_eq!(rx.recv().await, Some("kept"));
    /// assert_eq!(rx.recv().await, None, "the cancelled callback was dropped");
    /// assert!(!kept.cancel(), "it has run");
    /// # }
    /// ```
    pub fn cancel(&self) -> bool {
        self.core.cancel(&self.entry)
    }

    /// Returns `true` if the timer was cancelled, by [`cancel`](Self::cancel)
    /// or by closing its scheduler.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::call_later;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let handle = call_later(Duration::from_secs(1), || {});
    /// assert!(!handle.is_cancelled());
    /// handle.cancel();
    /// assert!(handle.is_cancelled());
    /// # }
    /// ```
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.entry.status() == Status::Cancelled
    }

    /// Returns the instant the callback is scheduled for: for a periodic
    /// timer, its next tick (or the one running now).
    ///
    /// The instant is tokio's, so it follows a paused clock. After the
    /// callback ran, or was cancelled, it is the last instant it was
    /// scheduled for.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::call_later;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let handle = call_later(Duration::from_secs(3), || {});
    /// assert_eq!(handle.when(), Instant::now() + Duration::from_secs(3));
    /// # }
    /// ```
    #[must_use]
    pub fn when(&self) -> Instant {
        self.entry.when()
    }

    /// Moves the timer to `at`, as if it had been scheduled now for `at`:
    /// among callbacks due at the same instant it runs after those
    /// scheduled before this call.
    ///
    /// An instant in the past makes it due at once. For a periodic timer,
    /// `at` is its next tick and the period goes on from there. Returns
    /// `false`, and changes nothing, if the timer has already run (a
    /// one-shot that has started counts as run), was cancelled, or its
    /// scheduler was closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::call_later;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let start = Instant::now();
    /// let (tx, rx) = tokio::sync::oneshot::channel();
    /// let handle = call_later(Duration::from_secs(1), move || tx.send(Instant::now()).unwrap());
    /// assert!(handle.reschedule(start + Duration::from_secs(7)));
    /// assert_eq!(handle.when(), start + Duration::from_secs(7));
    ///
    /// let ran_at = rx.await.unwrap();
    /// assert_eq!(ran_at - start, Duration::from_secs(7));
    /// assert!(!handle.reschedule(start), "it has run");
    /// # }
    /// ```
    pub fn reschedule(&self, at: Instant) -> bool {
        self.core.reschedule(&self.entry, at)
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.entry.when())
            .field("status", &self.entry.status())
            .finish()
    }
}
