use std::fmt;
use std::sync::Arc;

use super::api::queue_api;
use super::error::{PutError, ShutDown, TaskDoneError, TryGetError, TryPutError};
use super::guard::TaskGuard;
use super::permit::Permit;
use super::shared::{Handle, Shared, Store};
use super::stream::QueueStream;

/// A last-in, first-out queue (a stack) for producers and consumers, with
/// asyncio's `task_done` / `join`: Python's `asyncio.LifoQueue`.
///
/// The item put last leaves first: useful when the newest work matters
/// most, or for depth-first traversals spread over workers.
///
/// Everything else is as for [`Queue`](super::Queue): a cheap clonable
/// handle, bounded ([`LifoQueue::bounded`]) or unbounded
/// ([`LifoQueue::unbounded`]), [`task_done`](LifoQueue::task_done) and
/// [`join`](LifoQueue::join), waiters woken in the order they started
/// waiting, Python 3.13's [`shutdown`](LifoQueue::shutdown) and
/// [`shutdown_immediate`](LifoQueue::shutdown_immediate). Dropping a handle
/// does nothing to the queue; the items left are dropped with the last
/// handle.
///
/// # Examples
///
/// ```
/// use async_kit::queue::LifoQueue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let stack = LifoQueue::bounded(8);
/// for page in ["/", "/docs", "/docs/queue"] {
///     stack.put(page).await.unwrap();
/// }
/// assert_eq!(stack.get().await, Ok("/docs/queue"));
/// stack.task_done().unwrap();
/// assert_eq!(stack.shutdown_immediate(), ["/docs", "/"]);
/// stack.join().await; // the items handed back count as done
/// # }
/// ```
pub struct LifoQueue<T> {
    shared: Arc<Shared<T, Stack<T>>>,
}

/// The store of [`LifoQueue`]: first in, first out.
#[allow(unreachable_pub)]
#[derive(Debug)]
pub struct Stack<T>(Vec<T>);

impl<T> Store<T> for Stack<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }

    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

queue_api! {
    LifoQueue<T>, store Stack,
    new_store: |hint| Stack(Vec::with_capacity(hint)),
    put_where: "on top of the stack",
    takes: "the item on top (the last put)",
    takes_short: "the item on top (the last put)",
    many: " from the top",
    put_many_out: "3, 2, 1",
    many_in: "1..=5",
    many_out_first: "5, 4, 3",
    many_out_rest: "2, 1",
    stream_out: "\"b\", \"a\"",
    immediate_in: "1, 2, 3",
    immediate_out: "3, 2, 1",
}
