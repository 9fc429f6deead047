use std::future::{Future, poll_fn};
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::indexed::Indexed;

/// When [`wait`] returns: asyncio's `return_when`.
///
/// # Examples
///
/// ```
/// use async_kit::task::ReturnWhen;
///
/// assert_ne!(ReturnWhen::FirstCompleted, ReturnWhen::AllCompleted);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as any task has finished.
    FirstCompleted,
    /// As soon as any task has finished with an `Err`, or when all have
    /// finished.
    FirstError,
    /// When all tasks have finished.
    AllCompleted,
}

/// Waits on a group of task handles until `return_when` holds or `timeout`
/// passes, and returns the outputs of those that finished and the handles
/// still pending.
///
/// The finished outputs come in completion order; every handle that is
/// ready when the condition is met is counted as finished, as in asyncio.
/// The pending handles come back in input order, untouched: neither the
/// condition nor the timeout cancels them, the caller decides (abort them,
/// wait again, or drop them to detach tokio tasks). An empty group returns
/// at once. A handle that is ready when the timeout passes still counts as
/// finished.
///
/// Any `Unpin` future of a `Result` works as a handle: tokio's
/// [`JoinHandle`] (where `Err` is a [`JoinError`]: a panic or an abort),
/// [`CallbackHandle`](crate::task::CallbackHandle), or `Box::pin(fut)`. For
/// [`ReturnWhen::FirstError`] an error is an `Err` output; to count the
/// `Err` of a task that returns a `Result`, flatten its output first.
///
/// # Comparison to `JoinSet` and `FuturesUnordered`
///
/// Built on [`FuturesUnordered`]. A `JoinSet` aborts its tasks when dropped
/// and takes futures to spawn; `wait` takes handles of tasks already
/// running and hands back the unfinished ones, so they can be awaited,
/// aborted or waited on again later.
///
/// # Panics
///
/// Panics if `timeout` is `Some` and there is no tokio runtime with the time
/// driver enabled.
///
/// # Cancel safety
///
/// This method is not cancel safe: the handles are moved in, so if it is
/// used in `tokio::select!` and another branch completes first, the results
/// collected so far are lost and the handles are dropped (for tokio tasks,
/// that detaches them: they keep running).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::task::{ReturnWhen, wait};
/// use tokio::time::sleep;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let handles: Vec<_> = [3, 1, 2]
///     .map(|s| tokio::spawn(async move {
///         sleep(Duration::from_secs(s)).await;
///         s
///     }))
///     .into();
/// let (done, pending) = wait(handles, ReturnWhen::FirstCompleted, None).await;
/// assert_eq!(done.into_iter().map(Result::unwrap).collect::<Vec<_>>(), [1]);
/// assert_eq!(pending.len(), 2);
///
/// let (done, pending) =
///     wait(pending, ReturnWhen::AllCompleted, Some(Duration::from_millis(1500))).await;
/// assert_eq!(done.into_iter().map(Result::unwrap).collect::<Vec<_>>(), [2]);
/// assert_eq!(pending.len(), 1);
/// # }
/// ```
///
/// [`JoinHandle`]: tokio::task::JoinHandle
/// [`JoinError`]: tokio::task::JoinError
pub async fn wait<I, H, T, E>(
    handles: I,
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> (Vec<Result<T, E>>, Vec<H>)
where
    I: IntoIterator<Item = H>,
    H: Future<Output = Result<T, E>> + Unpin,
{
    let mut set: FuturesUnordered<Indexed<H>> = handles
        .into_iter()
        .enumerate()
        .map(|(index, handle)| Indexed::new(index, handle))
        .collect();
    let mut done = Vec::new();
    let mut met = false;
    let collect = poll_fn(|cx| {
        loop {
            match set.poll_next_unpin(cx) {
                Poll::Ready(Some(output)) => {
                    met |= match return_when {
                        ReturnWhen::FirstCompleted => true,
                        ReturnWhen::FirstError => output.is_err(),
                        ReturnWhen::AllCompleted => false,
                    };
                    done.push(output);
                }
                // Keep collecting what is ready now, then return.
                Poll::Pending if met => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(()),
            }
        }
    });
    match timeout {
        // On timeout, what finished so far is in `done`; the rest stays.
        Some(limit) => drop(tokio::time::timeout(limit, collect).await),
        None => collect.await,
    }
    (done, Indexed::into_sorted(set))
}
