use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use tokio::task::{JoinError, JoinHandle};

/// Handle to a future submitted with
/// [`BackgroundRuntime::submit`](super::BackgroundRuntime::submit).
///
/// A plain thread blocks on it with [`wait`](Self::wait) or
/// [`wait_timeout`](Self::wait_timeout); async code awaits it (it is a
/// future, on any runtime); anyone can [`cancel`](Self::cancel) it. The
/// result is a [`JoinError`] when the future panicked or was cancelled.
///
/// Dropping the handle detaches the future: it runs on, and its result is
/// dropped.
///
/// # Cancel safety
///
/// Awaiting is cancel safe: dropping the `.await` (not the handle) loses
/// nothing, and the handle can be awaited or waited on again.
///
/// # Examples
///
/// ```
/// use async_kit::bridge::BackgroundRuntime;
///
/// let runtime = BackgroundRuntime::new().unwrap();
/// let handle = runtime.submit(async { 6 * 7 }).unwrap();
/// assert_eq!(handle.wait().unwrap(), 42);
/// ```
#[must_use = "dropping the handle detaches the future and loses its result"]
pub struct Submission<T> {
    join: JoinHandle<T>,
}

impl<T> Submission<T> {
    pub(crate) fn new(join: JoinHandle<T>) -> Self {
        Submission { join }
    }

    /// Blocks the calling thread until the future finishes, and returns its
    /// output.
    ///
    /// # Errors
    ///
    /// A [`JoinError`] when the future panicked (with the payload) or was
    /// cancelled (by [`cancel`](Self::cancel) or a shutdown).
    ///
    /// # Panics
    ///
    /// Panics when called from async code (a thread inside a tokio runtime),
    /// where blocking would stall other tasks: await the handle there. Also
    /// panics if a [`wait_timeout`](Self::wait_timeout) already returned the
    /// result.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::bridge::BackgroundRuntime;
    ///
    /// let runtime = BackgroundRuntime::new().unwrap();
    /// let err = runtime.submit(async { panic!("boom") }).unwrap().wait().unwrap_err();
    /// assert!(err.is_panic());
    /// ```
    #[track_caller]
    pub fn wait(mut self) -> Result<T, JoinError> {
        assert_blocking_allowed("Submission::wait");
        block_on(&mut self.join, None).expect("no deadline, so the future finished")
    }

    /// Blocks the calling thread until the future finishes or `timeout`
    /// passes; `None` means it is still running (the handle stays usable).
    ///
    /// # Errors
    ///
    /// As for [`wait`](Self::wait), inside the `Some`.
    ///
    /// # Panics
    ///
    /// As for [`wait`](Self::wait): from async code, or once the result has
    /// been returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::bridge::BackgroundRuntime;
    ///
    /// let runtime = BackgroundRuntime::new().unwrap();
    /// let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
    /// let mut handle = runtime.submit(async move { rx.await.unwrap() }).unwrap();
    /// assert!(handle.wait_timeout(Duration::from_millis(1)).is_none());
    /// tx.send(9).unwrap();
    /// assert_eq!(handle.wait_timeout(Duration::from_secs(10)).unwrap().unwrap(), 9);
    /// ```
    #[track_caller]
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<Result<T, JoinError>> {
        assert_blocking_allowed("Submission::wait_timeout");
        block_on(&mut self.join, Instant::now().checked_add(timeout))
    }

    /// Cancels the future: if it has not started, it never runs; if it runs,
    /// it is dropped at its next `.await` that yields. Waiting then gives a
    /// [`JoinError`] that [`is_cancelled`](JoinError::is_cancelled), unless
    /// the future had already finished.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::bridge::BackgroundRuntime;
    ///
    /// let runtime = BackgroundRuntime::new().unwrap();
    /// let handle = runtime.submit(std::future::pending::<()>()).unwrap();
    /// handle.cancel();
    /// assert!(handle.wait().unwrap_err().is_cancelled());
    /// ```
    pub fn cancel(&self) {
        self.join.abort();
    }

    /// Returns `true` once the future has finished (or was cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::bridge::BackgroundRuntime;
    ///
    /// let runtime = BackgroundRuntime::new().unwrap();
    /// let handle = runtime.submit(std::future::pending::<()>()).unwrap();
    /// assert!(!handle.is_finished());
    /// # handle.cancel();
    /// ```
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.join.is_finished()
    }
}

impl<T> Future for Submission<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.join).poll(cx)
    }
}

impl<T> fmt::Debug for Submission<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Submission")
            .field("id", &self.join.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

#[track_caller]
pub(crate) fn assert_blocking_allowed(what: &str) {
    assert!(
        tokio::runtime::Handle::try_current().is_err(),
        "`{what}` blocks the thread and cannot be called from async code; await instead"
    );
}

/// Wakes a parked thread.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread, parking between polls, until it is ready
/// or `deadline` passes (`None`).
fn block_on<F: Future + Unpin>(future: &mut F, deadline: Option<Instant>) -> Option<F::Output> {
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = Pin::new(&mut *future).poll(&mut cx) {
            return Some(output);
        }
        // A wake-up between the poll and the park makes the park return at
        // once (the thread's token), so no wake-up is lost; spurious
        // returns just poll again.
        match deadline {
            None => thread::park(),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return None;
                }
                thread::park_timeout(deadline - now);
            }
        }
    }
}
