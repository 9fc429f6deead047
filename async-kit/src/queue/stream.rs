use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use event_listener::EventListener;
use futures_core::Stream;

use super::shared::{Handle, Side};

/// The items of a queue as a [`Stream`], made by
/// [`Queue::stream`](super::Queue::stream) (or the same method of the other
/// queues).
///
/// Each item is taken as by `get`: the stream ends when the queue is shut
/// down and drained (or shut down immediately). It holds a handle of the
/// queue. Dropping the stream while it waits loses no item, as with `get`.
/// Items taken through the stream still need
/// [`task_done`](super::Queue::task_done) for `join`.
///
/// # Examples
///
/// ```
/// use async_kit::queue::Queue;
/// use futures_util::StreamExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let queue = Queue::unbounded();
/// queue.put_many([1, 2, 3]).await.unwrap();
/// queue.shutdown();
///
/// let mut stream = queue.stream();
/// let mut sum = 0;
/// while let Some(x) = stream.next().await {
///     sum += x;
/// }
/// assert_eq!(sum, 6);
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct QueueStream<Q: Handle> {
    queue: Q,
    listener: Option<EventListener>,
}

impl<Q: Handle> QueueStream<Q> {
    pub(crate) fn new(queue: Q) -> Self {
        QueueStream {
            queue,
            listener: None,
        }
    }
}

impl<Q: Handle + Unpin> Stream for QueueStream<Q> {
    type Item = Q::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Q::Item>> {
        let this = self.get_mut();
        this.queue
            .shared()
            .poll_get(&mut this.listener, cx)
            .map(Result::ok)
    }
}

impl<Q: Handle> Drop for QueueStream<Q> {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.take() {
            // Passes on a wake-up it may have received, like a dropped get.
            self.queue.shared().forget(Side::Get, listener);
        }
    }
}

impl<Q: Handle + fmt::Debug> fmt::Debug for QueueStream<Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueStream")
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}
