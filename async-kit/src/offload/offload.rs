use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::sync::oneshot;

use super::cancel::CancelFlag;
use super::error::OffloadError;

pub(crate) type Outcome<R> = Result<R, OffloadError>;

/// Future of a job sent to a [`CpuPool`], returned by [`offload`],
/// [`offload_with`], [`par_map`] and their [`CpuPool`] methods.
///
/// The job is submitted when this future is created (when the pool's queue
/// has room; otherwise when a slot frees up while it is polled), so it runs
/// in parallel with the caller even before the first `.await`.
///
/// Dropping it before the job has started skips the job: the closure is
/// dropped unrun. Dropping it once the job runs cannot stop the thread: the
/// job runs to its end and its result is dropped, unless the closure of an
/// [`offload_with`] job watches its [`CancelFlag`], which the drop sets.
///
/// # Cancel safety
///
/// Dropping this future loses the job's result, and skips the job if it has
/// not started yet.
///
/// # Examples
///
/// ```
/// use async_kit::offload::{Offload, offload};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Both jobs start at once; the caller collects them later.
/// let jobs: Vec<Offload<u64>> = (1..=2_u64).map(|n| offload(move || n * 10)).collect();
/// let mut sum = 0;
/// for job in jobs {
///     sum += job.await.unwrap();
/// }
/// assert_eq!(sum, 30);
/// # }
/// ```
///
/// [`CpuPool`]: super::CpuPool
/// [`offload`]: super::offload
/// [`offload_with`]: super::offload_with
/// [`par_map`]: super::par_map
#[must_use = "futures do nothing unless you `.await` or poll them; dropping it skips the job"]
pub struct Offload<R> {
    state: State<R>,
    // Set on drop, for `offload_with` jobs.
    cancel: Option<CancelFlag>,
}

type Submit<R> = Pin<Box<dyn Future<Output = oneshot::Receiver<Outcome<R>>> + Send>>;

enum State<R> {
    // The queue was full at creation: waits for a slot, then submits.
    Waiting(Submit<R>),
    Submitted(oneshot::Receiver<Outcome<R>>),
}

impl<R> Offload<R> {
    pub(crate) fn submitted(rx: oneshot::Receiver<Outcome<R>>, cancel: Option<CancelFlag>) -> Self {
        Offload {
            state: State::Submitted(rx),
            cancel,
        }
    }

    pub(crate) fn waiting(submit: Submit<R>, cancel: Option<CancelFlag>) -> Self {
        Offload {
            state: State::Waiting(submit),
            cancel,
        }
    }
}

impl<R> Future for Offload<R> {
    type Output = Result<R, OffloadError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                State::Waiting(submit) => {
                    let rx = ready!(submit.as_mut().poll(cx));
                    self.state = State::Submitted(rx);
                }
                State::Submitted(rx) => {
                    // The sender is only dropped unsent when the job is
                    // skipped, which needs this receiver gone; should a pool
                    // ever lose a job, it reads as a cancellation.
                    let outcome = ready!(Pin::new(rx).poll(cx));
                    return Poll::Ready(outcome.unwrap_or_else(|_| Err(OffloadError::cancelled())));
                }
            }
        }
    }
}

impl<R> Drop for Offload<R> {
    fn drop(&mut self) {
        if let Some(cancel) = &self.cancel {
            cancel.cancel();
        }
    }
}

impl<R> fmt::Debug for Offload<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Waiting(_) => "waiting for a queue slot",
            State::Submitted(_) => "submitted",
        };
        f.debug_struct("Offload")
            .field("state", &state)
            .field("cancellable", &self.cancel.is_some())
            .finish()
    }
}
