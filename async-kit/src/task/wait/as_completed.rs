use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::time::{Instant, Sleep, sleep_until};

use super::indexed::Indexed;

/// Returns a [`Stream`] of the handles' outputs in the order they finish,
/// ending early when the optional `timeout` passes.
///
/// When the timeout passes, the stream ends (returns `None`) without
/// cancelling anything: [`AsCompleted::is_elapsed`] tells that it ended that
/// way, and [`AsCompleted::into_pending`] hands back the unfinished handles.
/// An output ready when the timeout passes is still yielded first. Any
/// future works as a handle: tokio's [`JoinHandle`],
/// [`CallbackHandle`](crate::task::CallbackHandle), or a plain future (then it
/// runs inside the stream, not as a task).
///
/// # Comparison to `FuturesUnordered`
///
/// This is a [`FuturesUnordered`] with asyncio's overall timeout, and a way
/// to get the unfinished handles back. Unlike asyncio's `as_completed`, a
/// passed timeout ends the stream rather than raising an error.
///
/// # Panics
///
/// Panics if `timeout` is `Some` and there is no tokio runtime with the time
/// driver enabled.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use futures_util::StreamExt;
/// use async_kit::task::as_completed;
/// use tokio::time::sleep;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let handles = [30, 10, 20, 99].map(|ms| tokio::spawn(async move {
///     sleep(Duration::from_millis(ms)).await;
///     ms
/// }));
/// let mut results = as_completed(handles, Some(Duration::from_millis(50)));
/// let mut order = Vec::new();
/// while let Some(ms) = results.next().await {
///     order.push(ms.unwrap());
/// }
/// assert_eq!(order, [10, 20, 30]);
/// assert!(results.is_elapsed());
/// assert_eq!(results.into_pending().len(), 1);
/// # }
/// ```
///
/// [`JoinHandle`]: tokio::task::JoinHandle
#[track_caller]
pub fn as_completed<I, H>(handles: I, timeout: Option<Duration>) -> AsCompleted<H>
where
    I: IntoIterator<Item = H>,
    H: Future,
{
    AsCompleted {
        set: handles
            .into_iter()
            .enumerate()
            .map(|(index, handle)| Indexed::new(index, handle))
            .collect(),
        sleep: timeout.map(|limit| Box::pin(sleep_until(deadline_after(limit)))),
        elapsed: false,
    }
}

fn deadline_after(limit: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(limit)
        // About 30 years, as tokio does for durations that overflow.
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

/// Stream returned by [`as_completed`].
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<H> {
    set: FuturesUnordered<Indexed<H>>,
    sleep: Option<Pin<Box<Sleep>>>,
    elapsed: bool,
}

impl<H> AsCompleted<H> {
    /// Returns the number of handles not yet finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let stream = async_kit::task::as_completed([std::future::ready(1)], None);
    /// assert_eq!(stream.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Returns `true` when no handle is left.
    ///
    /// # Examples
    ///
    /// ```
    /// let stream = async_kit::task::as_completed(Vec::<std::future::Ready<()>>::new(), None);
    /// assert!(stream.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Returns `true` if the stream ended because its timeout passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_util::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut stream = async_kit::task::as_completed(
    ///     [std::future::pending::<()>()],
    ///     Some(Duration::from_secs(1)),
    /// );
    /// assert_eq!(stream.next().await, None);
    /// assert!(stream.is_elapsed());
    /// # }
    /// ```
    #[must_use]
    pub fn is_elapsed(&self) -> bool {
        self.elapsed
    }

    /// Returns the deadline of the timeout, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let at = Instant::now() + Duration::from_secs(2);
    /// let stream = async_kit::task::as_completed([async {}], Some(Duration::from_secs(2)));
    /// assert_eq!(stream.deadline(), Some(at));
    /// # }
    /// ```
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.sleep.as_ref().map(|sleep| sleep.deadline())
    }

    /// Hands back the handles not yet finished, in input order, without
    /// cancelling them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::{pending, Pending};
    ///
    /// let stream = async_kit::task::as_completed([pending::<u8>(), pending()], None);
    /// let back: Vec<Pending<u8>> = stream.into_pending();
    /// assert_eq!(back.len(), 2);
    /// ```
    #[must_use]
    pub fn into_pending(self) -> Vec<H>
    where
        H: Unpin,
    {
        Indexed::into_sorted(self.set)
    }
}

impl<H: Future> Stream for AsCompleted<H> {
    type Item = H::Output;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.elapsed {
            return Poll::Ready(None);
        }
        // Outputs first: one ready at the deadline is still yielded.
        if let Poll::Ready(item) = this.set.poll_next_unpin(cx) {
            return Poll::Ready(item);
        }
        if let Some(sleep) = &mut this.sleep {
            if sleep.as_mut().poll(cx).is_ready() {
                this.elapsed = true;
                return Poll::Ready(None);
            }
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.elapsed {
            (0, Some(0))
        } else {
            (0, Some(self.set.len()))
        }
    }
}

impl<H> fmt::Debug for AsCompleted<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("pending", &self.set.len())
            .field("deadline", &self.deadline())
            .field("elapsed", &self.elapsed)
            .finish()
    }
}
