use std::fmt;
use std::sync::Arc;

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

impl<T> LifoQueue<T> {
    /// Creates a queue that holds at most `capacity` items.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// let queue = LifoQueue::bounded(2);
    /// assert_eq!(queue.capacity(), Some(2));
    /// queue.try_put(1).unwrap();
    /// queue.try_put(2).unwrap();
    /// assert!(queue.try_put(3).unwrap_err().is_full());
    /// ```
    #[must_use]
    #[track_caller]
    pub fn bounded(capacity: usize) -> Self {
        assert!(capacity > 0, "a bounded queue needs a capacity above zero");
        Self::with(Some(capacity))
    }

    /// Creates a queue without a limit: puts never wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// let queue = LifoQueue::unbounded();
    /// assert_eq!(queue.capacity(), None);
    /// for i in 0..1000 {
    ///     queue.try_put(i).unwrap();
    /// }
    /// assert_eq!(queue.len(), 1000);
    /// ```
    #[must_use]
    pub fn unbounded() -> Self {
        Self::with(None)
    }

    fn with(capacity: Option<usize>) -> Self {
        let store = Stack(Vec::with_capacity(capacity.unwrap_or(0).min(1024)));
        LifoQueue {
            shared: Arc::new(Shared::new(store, capacity)),
        }
    }

    /// Puts an item on top of the stack, waiting while it is full.
    ///
    /// Fails, handing the item back, if the queue is shut down (before or
    /// while waiting).
    ///
    /// # Cancel safety
    ///
    /// This method is not cancel safe: if it is used in `tokio::select!`
    /// and another branch completes first, the item is dropped and lost,
    /// and you lose your place in the line of waiting putters. Use
    /// [`reserve`](LifoQueue::reserve) then [`Permit::put`] to keep the item.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = LifoQueue::bounded(1);
    /// queue.put(1).await.unwrap();
    /// let consumer = queue.clone();
    /// tokio::spawn(async move { consumer.get().await });
    /// queue.put(2).await.unwrap(); // waits for the consumer's get
    /// assert_eq!(queue.try_get(), Ok(2));
    /// # }
    /// ```
    pub async fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.shared.put(item).await
    }

    /// Puts an item on top of the stack if there is room, without
    /// waiting; otherwise hands it back in the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::{LifoQueue, TryPutError};
    ///
    /// let queue = LifoQueue::bounded(1);
    /// assert_eq!(queue.try_put("a"), Ok(()));
    /// assert_eq!(queue.try_put("b"), Err(TryPutError::Full("b")));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        self.shared.try_put(item)
    }

    /// Puts every item of `items` in order, waiting for room as needed.
    ///
    /// The items are put in as few lock rounds as room allows, which is
    /// cheaper than one `put` each. If the queue is shut down, the items not
    /// yet put are handed back (those already put stay in the queue).
    ///
    /// # Cancel safety
    ///
    /// This method is not cancel safe: if it is used in `tokio::select!`
    /// and another branch completes first, the items not yet put are
    /// dropped and lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = LifoQueue::unbounded();
    /// queue.put_many(1..=3).await.unwrap();
    /// assert_eq!(queue.get_many(10).await, Ok(vec![3, 2, 1]));
    /// # }
    /// ```
    pub async fn put_many<I>(&self, items: I) -> Result<(), PutError<Vec<T>>>
    where
        I: IntoIterator<Item = T>,
    {
        self.shared.put_many(items).await
    }

    /// Waits for a free slot and reserves it: the cancel-safe way to put.
    ///
    /// Fails if the queue is shut down. The reserved slot counts against the
    /// capacity until [`Permit::put`] fills it or the permit is dropped.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: no slot is reserved by a cancelled call
    /// and no item is involved. Cancelling makes you lose your place in the
    /// line of waiting putters (a wake-up it had received is passed on).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::queue::LifoQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let queue = LifoQueue::bounded(1);
    /// queue.put("first").await.unwrap();
    /// let item = "second";
    /// tokio::select! {
    ///     permit = queue.reserve() => permit.unwrap().put(item).unwrap(),
    ///     _ = tokio::time::sleep(Duration::from_secs(1)) => {}
    /// }
    /// // The queue stayed full, and `item` was not moved: it is still ours.
    /// assert_eq!(item, "second");
    /// # }
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, Self>, ShutDown> {
        self.shared.reserve().await?;
        Ok(Permit::new(self))
    }

    /// Reserves a free slot if there is one, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::{LifoQueue, TryPutError};
    ///
    /// let queue = LifoQueue::<u32>::bounded(1);
    /// let permit = queue.try_reserve().unwrap();
    /// assert!(matches!(queue.try_reserve(), Err(TryPutError::Full(()))));
    /// drop(permit); // gives the slot back
    /// assert!(queue.try_reserve().is_ok());
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, Self>, TryPutError<()>> {
        self.shared.try_reserve()?;
        Ok(Permit::new(self))
    }

    /// Takes the item on top (the last put), waiting while it is empty.
    ///
    /// After [`shutdown`](LifoQueue::shutdown), gets drain the items left and
    /// then fail; after [`shutdown_immediate`](LifoQueue::shutdown_immediate)
    /// they fail at once.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if it is used in `tokio::select!` and
    /// another branch completes first, no item was removed. A get cancelled
    /// after it was woken passes the wake-up on to the next waiting getter.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = LifoQueue::unbounded();
    /// let producer = queue.clone();
    /// tokio::spawn(async move { producer.put(42).await });
    /// assert_eq!(queue.get().await, Ok(42)); // waits for the put
    /// # }
    /// ```
    pub async fn get(&self) -> Result<T, ShutDown> {
        self.shared.get().await
    }

    /// Takes the item on top (the last put) if there is one, without
    /// waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::{LifoQueue, TryGetError};
    ///
    /// let queue = LifoQueue::unbounded();
    /// queue.try_put(1).unwrap();
    /// assert_eq!(queue.try_get(), Ok(1));
    /// assert_eq!(queue.try_get(), Err(TryGetError::Empty));
    /// ```
    pub fn try_get(&self) -> Result<T, TryGetError> {
        self.shared.try_get()
    }

    /// Takes an item as [`get`](LifoQueue::get) does, in a guard that marks its
    /// task done when dropped.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if it is used in `tokio::select!` and
    /// another branch completes first, no item was removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = LifoQueue::unbounded();
    /// queue.put(3).await.unwrap();
    /// let worker = queue.clone();
    /// tokio::spawn(async move {
    ///     let job = worker.get_guarded().await.unwrap();
    ///     assert_eq!(*job, 3);
    ///     // Even a panic here would mark the task done.
    /// });
    /// queue.join().await;
    /// # }
    /// ```
    pub async fn get_guarded(&self) -> Result<TaskGuard<'_, T>, ShutDown> {
        let item = self.shared.get().await?;
        Ok(TaskGuard::new(item, self.shared.tasks()))
    }

    /// Takes up to `max` items from the top, waiting while the queue is
    /// empty: at least one item unless `max` is zero.
    ///
    /// One lock round takes them all, which is cheaper than one `get` each.
    /// Each item still needs its own [`task_done`](LifoQueue::task_done).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if it is used in `tokio::select!` and
    /// another branch completes first, no item was removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = LifoQueue::unbounded();
    /// queue.put_many(1..=5).await.unwrap();
    /// assert_eq!(queue.get_many(3).await, Ok(vec![5, 4, 3]));
    /// assert_eq!(queue.get_many(3).await, Ok(vec![2, 1]));
    /// # }
    /// ```
    pub async fn get_many(&self, max: usize) -> Result<Vec<T>, ShutDown> {
        self.shared.get_many(max).await
    }

    /// Returns a [`Stream`](futures_core::Stream) of the items, holding a
    /// handle of this queue; it ends when a get would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    /// use futures_util::StreamExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = LifoQueue::unbounded();
    /// queue.put_many(["a", "b"]).await.unwrap();
    /// queue.shutdown();
    /// let items: Vec<&str> = queue.stream().collect().await;
    /// assert_eq!(items, ["b", "a"]);
    /// # }
    /// ```
    pub fn stream(&self) -> QueueStream<Self> {
        QueueStream::new(self.clone())
    }

    /// Marks one item as handled, for [`join`](LifoQueue::join).
    ///
    /// Fails, leaving the count at zero, when called more times than items
    /// were put.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = LifoQueue::unbounded();
    /// queue.put(1).await.unwrap();
    /// queue.get().await.unwrap();
    /// assert!(queue.task_done().is_ok());
    /// assert!(queue.task_done().is_err());
    /// # }
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        self.shared.task_done()
    }

    /// Waits until every item ever put has been marked done.
    ///
    /// Returns at once if none is unfinished. Shutdown does not end the
    /// wait by itself: items taken before it still need `task_done`;
    /// [`shutdown_immediate`](LifoQueue::shutdown_immediate) marks the items it
    /// hands back as done.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it takes nothing from the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = LifoQueue::unbounded();
    /// queue.put_many(0..10).await.unwrap();
    /// let worker = queue.clone();
    /// tokio::spawn(async move {
    ///     while let Ok(_job) = worker.get().await {
    ///         worker.task_done().unwrap();
    ///     }
    /// });
    /// queue.join().await;
    /// assert!(queue.is_empty());
    /// # }
    /// ```
    pub async fn join(&self) {
        self.shared.join().await;
    }

    /// Returns the number of items in the queue (reserved slots not
    /// included).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// let queue = LifoQueue::unbounded();
    /// queue.try_put(1).unwrap();
    /// assert_eq!(queue.len(), 1);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Returns `true` if the queue holds no item.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// let queue = LifoQueue::<u8>::unbounded();
    /// assert!(queue.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns `true` if a put would wait: the items and reserved slots
    /// fill the capacity. Never for an unbounded queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// let queue = LifoQueue::bounded(1);
    /// assert!(!queue.is_full());
    /// queue.try_put(1).unwrap();
    /// assert!(queue.is_full());
    /// ```
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.shared.is_full()
    }

    /// Returns the capacity of a bounded queue, `None` for an unbounded one.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// assert_eq!(LifoQueue::<u8>::bounded(3).capacity(), Some(3));
    /// assert_eq!(LifoQueue::<u8>::unbounded().capacity(), None);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> Option<usize> {
        self.shared.capacity()
    }

    /// Shuts the queue down, as Python 3.13's `shutdown()`: puts fail from
    /// now on, gets take the items left and then fail. Every waiting put and
    /// get wakes.
    ///
    /// Returns `true` if this call shut the queue down, `false` if it
    /// already was.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::{LifoQueue, TryGetError};
    ///
    /// let queue = LifoQueue::unbounded();
    /// queue.try_put(1).unwrap();
    /// assert!(queue.shutdown());
    /// assert!(!queue.shutdown());
    /// assert!(queue.try_put(2).is_err());
    /// assert_eq!(queue.try_get(), Ok(1));
    /// assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
    /// ```
    pub fn shutdown(&self) -> bool {
        self.shared.shutdown()
    }

    /// Shuts the queue down at once, as Python 3.13's
    /// `shutdown(immediate=True)`, and hands back the items left, in the
    /// order gets would have taken them.
    ///
    /// Puts and gets fail from now on. The items handed back count as done
    /// for [`join`](LifoQueue::join). Every waiting put, get and join wakes.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = LifoQueue::unbounded();
    /// queue.put_many([1, 2, 3]).await.unwrap();
    /// assert_eq!(queue.shutdown_immediate(), [3, 2, 1]);
    /// assert!(queue.get().await.is_err());
    /// queue.join().await; // nothing left unfinished
    /// # }
    /// ```
    pub fn shutdown_immediate(&self) -> Vec<T> {
        self.shared.shutdown_immediate()
    }

    /// Returns `true` once the queue is shut down, either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::LifoQueue;
    ///
    /// let queue = LifoQueue::<u8>::unbounded();
    /// assert!(!queue.is_shutdown());
    /// queue.shutdown();
    /// assert!(queue.is_shutdown());
    /// ```
    #[must_use]
    pub fn is_shutdown(&self) -> bool {
        self.shared.is_shutdown()
    }
}

impl<T> Clone for LifoQueue<T> {
    fn clone(&self) -> Self {
        LifoQueue {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for LifoQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LifoQueue")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("unfinished", &self.shared.tasks().unfinished())
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}

impl<T> Handle for LifoQueue<T> {
    type Item = T;
    type Store = Stack<T>;

    fn shared(&self) -> &Shared<T, Stack<T>> {
        &self.shared
    }
}
