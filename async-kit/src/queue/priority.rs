use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::Arc;

use super::api::queue_api;
use super::error::{PutError, ShutDown, TaskDoneError, TryGetError, TryPutError};
use super::guard::TaskGuard;
use super::permit::Permit;
use super::shared::{Handle, Shared, Store};
use super::stream::QueueStream;

/// A priority queue for producers and consumers, with asyncio's
/// `task_done` / `join`: Python's `asyncio.PriorityQueue`.
///
/// The smallest item leaves first, as with asyncio and `heapq` (the
/// opposite of [`std::collections::BinaryHeap`]); wrap items in
/// [`Reverse`](std::cmp::Reverse) for the largest first. Items that compare
/// equal leave in the order they were put, which makes `(priority, job)`
/// tuples, or a type whose `Ord` looks at the priority only, fair.
///
/// Everything else is as for [`Queue`](super::Queue): a cheap clonable
/// handle, bounded ([`PriorityQueue::bounded`]) or unbounded
/// ([`PriorityQueue::unbounded`]), [`task_done`](PriorityQueue::task_done)
/// and [`join`](PriorityQueue::join), waiters woken in the order they
/// started waiting, Python 3.13's [`shutdown`](PriorityQueue::shutdown) and
/// [`shutdown_immediate`](PriorityQueue::shutdown_immediate). Dropping a
/// handle does nothing to the queue; the items left are dropped with the
/// last handle.
///
/// A panic in the items' `Ord` propagates to the caller of the put or get;
/// the queue stays usable, but its order may be off.
///
/// # Examples
///
/// ```
/// use std::cmp::Reverse;
/// use async_kit::queue::PriorityQueue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let queue = PriorityQueue::unbounded();
/// queue.put((2, "write")).await.unwrap();
/// queue.put((1, "read")).await.unwrap();
/// queue.put((2, "append")).await.unwrap();
/// assert_eq!(queue.get().await, Ok((1, "read")));
/// assert_eq!(queue.get().await, Ok((2, "append")));
/// assert_eq!(queue.get().await, Ok((2, "write")));
///
/// let largest_first = PriorityQueue::unbounded();
/// largest_first.put_many([Reverse(1), Reverse(3), Reverse(2)]).await.unwrap();
/// assert_eq!(largest_first.get().await, Ok(Reverse(3)));
/// # }
/// ```
pub struct PriorityQueue<T> {
    shared: Arc<Shared<T, Heap<T>>>,
}

/// The store of [`PriorityQueue`]: a min-heap whose ties leave in the order
/// they came, by a sequence number.
#[allow(unreachable_pub)]
#[derive(Debug)]
pub struct Heap<T> {
    heap: BinaryHeap<Entry<T>>,
    next: u64,
}

#[derive(Debug)]
struct Entry<T> {
    item: T,
    seq: u64,
}

impl<T: Ord> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // `BinaryHeap` pops the greatest: reverse both keys so that the
        // smallest item, and among equal items the oldest, comes first.
        other
            .item
            .cmp(&self.item)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl<T: Ord> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Ord> Eq for Entry<T> {}

impl<T: Ord> Store<T> for Heap<T> {
    fn push(&mut self, item: T) {
        let seq = self.next;
        // A u64 counter of puts does not wrap in practice.
        self.next += 1;
        self.heap.push(Entry { item, seq });
    }

    fn pop(&mut self) -> Option<T> {
        self.heap.pop().map(|entry| entry.item)
    }

    fn len(&self) -> usize {
        self.heap.len()
    }
}

queue_api! {
    PriorityQueue<T: Ord>, store Heap,
    new_store: |hint| Heap {
        heap: BinaryHeap::with_capacity(hint),
        next: 0,
    },
    put_where: "into the queue",
    takes: "the smallest item (the oldest among equals)",
    takes_short: "the smallest item",
    many: ", smallest first",
    put_many_out: "1, 2, 3",
    many_in: "[4, 1, 5, 3, 2]",
    many_out_first: "1, 2, 3",
    many_out_rest: "4, 5",
    stream_out: "\"a\", \"b\"",
    immediate_in: "3, 1, 2",
    immediate_out: "1, 2, 3",
}
