use std::sync::Arc;

use tokio::task::JoinHandle;

use super::callback_handle::CallbackHandle;
use super::done_callbacks::DoneCallbacks;

/// Done callbacks for a task spawned with tokio's own `spawn`.
///
/// tokio's [`JoinHandle`] cannot be hooked after spawning (its only hooks
/// are runtime-wide and unstable), so [`with_callbacks`](Self::with_callbacks)
/// hands the handle to a small watcher task that awaits it and reports the
/// end. Prefer [`task::spawn`](crate::task::spawn) when you spawn the task
/// yourself: it needs no second task.
pub trait JoinHandleExt<T> {
    /// Turns the handle into a [`CallbackHandle`], which takes done
    /// callbacks and is awaited like the `JoinHandle` was.
    ///
    /// The callbacks run on the watcher task, after the task ended. Aborting
    /// through the returned handle aborts the task itself. If the runtime
    /// shuts down first, the callbacks see
    /// [`Outcome::Cancelled`](crate::task::Outcome::Cancelled).
    ///
    /// # Panics
    ///
    /// Panics when called outside a tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use async_kit::task::{JoinHandleExt, Outcome};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let handle = tokio::spawn(async { panic!("boom") }).with_callbacks();
    /// let seen = Arc::new(Mutex::new(None));
    /// let slot = seen.clone();
    /// handle.add_done_callback(move |outcome: Outcome<'_, ()>| {
    ///     *slot.lock().unwrap() = Some(matches!(outcome, Outcome::Panicked));
    /// });
    /// assert!(handle.await.unwrap_err().is_panic());
    /// assert_eq!(*seen.lock().unwrap(), Some(true));
    /// # }
    /// ```
    #[track_caller]
    fn with_callbacks(self) -> CallbackHandle<T>;
}

impl<T: Send + 'static> JoinHandleExt<T> for JoinHandle<T> {
    #[track_caller]
    fn with_callbacks(self) -> CallbackHandle<T> {
        let task = self.abort_handle();
        let callbacks = Arc::new(DoneCallbacks::new());
        let reporter = Reporter(callbacks.clone());
        let watcher = tokio::spawn(async move {
            let result = self.await;
            match result {
                Ok(output) => {
                    // We are the only reporter, so this cannot fail.
                    let _ = reporter.0.complete(output);
                    Ok(())
                }
                Err(err) => {
                    if err.is_panic() {
                        reporter.0.panicked();
                    } else {
                        reporter.0.cancelled();
                    }
                    Err(err)
                }
            }
        });
        CallbackHandle::from_parts(watcher, task, callbacks)
    }
}

/// Reports `Cancelled` if the watcher is dropped before the task ends
/// (runtime shutdown); a no-op once the end was reported.
struct Reporter<T>(Arc<DoneCallbacks<T>>);

impl<T> Drop for Reporter<T> {
    fn drop(&mut self) {
        self.0.cancelled();
    }
}
