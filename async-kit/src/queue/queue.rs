use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use super::api::queue_api;
use super::error::{PutError, ShutDown, TaskDoneError, TryGetError, TryPutError};
use super::guard::TaskGuard;
use super::permit::Permit;
use super::shared::{Handle, Shared, Store};
use super::stream::QueueStream;

/// A first-in, first-out queue for producers and consumers, with
/// asyncio's `task_done` / `join`: Python's `asyncio.Queue`.
///
/// A `Queue` is a handle: cloning it is cheap and every clone reaches the
/// same queue, so any number of tasks can put and get. It is bounded
/// ([`Queue::bounded`]: [`put`](Queue::put) waits while it is full) or
/// unbounded ([`Queue::unbounded`]).
///
/// Every item put counts as an unfinished task until a consumer calls
/// [`task_done`](Queue::task_done) (or drops the guard of
/// [`get_guarded`](Queue::get_guarded)); [`join`](Queue::join) waits until
/// none is left. [`shutdown`](Queue::shutdown) and
/// [`shutdown_immediate`](Queue::shutdown_immediate) end the queue as in
/// Python 3.13.
///
/// Waiting getters are woken one per item put, and waiting putters one per
/// slot freed, in the order in which they started waiting. A caller that
/// arrives while a woken waiter has not run yet may take the item or the
/// slot first; the waiter then waits again.
///
/// Dropping a handle does nothing to the queue; the items left are dropped
/// with the last handle (guards, permits and streams borrow or hold one).
///
/// # Comparison to channels
///
/// `tokio::sync::mpsc` has one consumer, and neither it nor
/// `async-channel`, `flume` or `kanal` can tell a producer when every item
/// has been *handled*, which is what `join` does. A channel also closes by
/// itself when one side is dropped; a queue closes only by `shutdown`.
/// Choose a channel for a pipeline of owned ends, a `Queue` for a pool of
/// workers that someone waits on.
///
/// # Examples
///
/// ```
/// use async_kit::queue::Queue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let queue = Queue::bounded(8);
/// let results = Queue::unbounded();
/// for _ in 0..3 {
///     let (queue, results) = (queue.clone(), results.clone());
///     tokio::spawn(async move {
///         while let Ok(job) = queue.get_guarded().await {
///             results.put(*job * 10).await.unwrap();
///         }
///     });
/// }
/// for job in 1..=5 {
///     queue.put(job).await.unwrap();
/// }
/// queue.join().await; // every job handled
/// assert_eq!(results.len(), 5);
/// let mut all = results.get_many(5).await.unwrap();
/// all.sort();
/// assert_eq!(all, [10, 20, 30, 40, 50]);
/// # }
/// ```
pub struct Queue<T> {
    shared: Arc<Shared<T, Fifo<T>>>,
}

/// The store of [`Queue`]: first in, first out.
#[allow(unreachable_pub)]
#[derive(Debug)]
pub struct Fifo<T>(VecDeque<T>);

impl<T> Store<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }

    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

queue_api! {
    Queue<T>, store Fifo,
    new_store: |hint| Fifo(VecDeque::with_capacity(hint)),
    put_where: "at the back of the queue",
    takes: "the item at the front of the queue",
    takes_short: "the item at the front of the queue",
    many: " from the front",
    put_many_out: "1, 2, 3",
    many_in: "1..=5",
    many_out_first: "1, 2, 3",
    many_out_rest: "4, 5",
    stream_out: "\"a\", \"b\"",
    immediate_in: "1, 2, 3",
    immediate_out: "1, 2, 3",
}
