//! The API the three queue kinds share, written once.
//!
//! `Queue`, `LifoQueue` and `PriorityQueue` differ only in the order their
//! store keeps (`queue.rs`, `lifo.rs`, `priority.rs`: the type, its docs and
//! its store); every method is generated here, with docs and examples whose
//! type name and order-dependent words and results each kind passes in. One
//! type with an order parameter (`Queue<T, O>` with aliases) was weighed and
//! set aside: `Queue::bounded(8)` could no longer infer its order, so every
//! kind would need a second name for its constructors, and users would meet
//! `Queue<T, Lifo>` in errors and docs instead of `LifoQueue<T>`.

/// Generates the methods and trait impls of one queue kind.
macro_rules! queue_api {
    (
        $Queue:ident<T $(: $bound:path)?>, store $Store:ident,
        new_store: |$hint:ident| $new_store:expr,
        put_where: $put_where:literal,
        takes: $takes:literal,
        takes_short: $takes_short:literal,
        many: $many:literal,
        put_many_out: $put_many_out:literal,
        many_in: $many_in:literal,
        many_out_first: $many_out_first:literal,
        many_out_rest: $many_out_rest:literal,
        stream_out: $stream_out:literal,
        immediate_in: $immediate_in:literal,
        immediate_out: $immediate_out:literal $(,)?
    ) => {
        impl<T $(: $bound)?> $Queue<T> {
            /// Creates a queue that holds at most `capacity` items.
            ///
            /// # Panics
            ///
            /// Panics if `capacity` is zero.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::bounded(2);")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
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
                let $hint = capacity.unwrap_or(0).min(1024);
                let store = $new_store;
                $Queue {
                    shared: Arc::new(Shared::new(store, capacity)),
                }
            }

            #[doc = concat!(" Puts an item ", $put_where, ", waiting while it is full.")]
            ///
            /// Fails, handing the item back, if the queue is shut down (before or
            /// while waiting).
            ///
            /// # Cancel safety
            ///
            /// This method is not cancel safe: if it is used in `tokio::select!`
            /// and another branch completes first, the item is dropped and lost,
            /// and you lose your place in the line of waiting putters. Use
            #[doc = concat!(" [`reserve`](", stringify!($Queue), "::reserve) then [`Permit::put`] to keep the item.")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::bounded(1);")]
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

            #[doc = concat!(" Puts an item ", $put_where, " if there is room, without")]
            /// waiting; otherwise hands it back in the error.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!(" use async_kit::queue::{", stringify!($Queue), ", TryPutError};")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::bounded(1);")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
            /// queue.put_many(1..=3).await.unwrap();
            #[doc = concat!(" assert_eq!(queue.get_many(10).await, Ok(vec![", $put_many_out, "]));")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::bounded(1);")]
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
            #[doc = concat!(" use async_kit::queue::{", stringify!($Queue), ", TryPutError};")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::<u32>::bounded(1);")]
            /// let permit = queue.try_reserve().unwrap();
            /// assert!(matches!(queue.try_reserve(), Err(TryPutError::Full(()))));
            /// drop(permit); // gives the slot back
            /// assert!(queue.try_reserve().is_ok());
            /// ```
            pub fn try_reserve(&self) -> Result<Permit<'_, Self>, TryPutError<()>> {
                self.shared.try_reserve()?;
                Ok(Permit::new(self))
            }

            #[doc = concat!(" Takes ", $takes, ", waiting while it is empty.")]
            ///
            #[doc = concat!(" After [`shutdown`](", stringify!($Queue), "::shutdown), gets drain the items left and")]
            #[doc = concat!(" then fail; after [`shutdown_immediate`](", stringify!($Queue), "::shutdown_immediate)")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
            /// let producer = queue.clone();
            /// tokio::spawn(async move { producer.put(42).await });
            /// assert_eq!(queue.get().await, Ok(42)); // waits for the put
            /// # }
            /// ```
            pub async fn get(&self) -> Result<T, ShutDown> {
                self.shared.get().await
            }

            #[doc = concat!(" Takes ", $takes_short, " if there is one, without")]
            /// waiting.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!(" use async_kit::queue::{", stringify!($Queue), ", TryGetError};")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
            /// queue.try_put(1).unwrap();
            /// assert_eq!(queue.try_get(), Ok(1));
            /// assert_eq!(queue.try_get(), Err(TryGetError::Empty));
            /// ```
            pub fn try_get(&self) -> Result<T, TryGetError> {
                self.shared.try_get()
            }

            #[doc = concat!(" Takes an item as [`get`](", stringify!($Queue), "::get) does, in a guard that marks its")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
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

            #[doc = concat!(" Takes up to `max` items", $many, ", waiting while the queue is")]
            /// empty: at least one item unless `max` is zero.
            ///
            /// One lock round takes them all, which is cheaper than one `get` each.
            #[doc = concat!(" Each item still needs its own [`task_done`](", stringify!($Queue), "::task_done).")]
            ///
            /// # Cancel safety
            ///
            /// This method is cancel safe: if it is used in `tokio::select!` and
            /// another branch completes first, no item was removed.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
            #[doc = concat!(" queue.put_many(", $many_in, ").await.unwrap();")]
            #[doc = concat!(" assert_eq!(queue.get_many(3).await, Ok(vec![", $many_out_first, "]));")]
            #[doc = concat!(" assert_eq!(queue.get_many(3).await, Ok(vec![", $many_out_rest, "]));")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            /// use futures_util::StreamExt;
            ///
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
            /// queue.put_many(["a", "b"]).await.unwrap();
            /// queue.shutdown();
            /// let items: Vec<&str> = queue.stream().collect().await;
            #[doc = concat!(" assert_eq!(items, [", $stream_out, "]);")]
            /// # }
            /// ```
            pub fn stream(&self) -> QueueStream<Self> {
                QueueStream::new(self.clone())
            }

            #[doc = concat!(" Marks one item as handled, for [`join`](", stringify!($Queue), "::join).")]
            ///
            /// Fails, leaving the count at zero, when called more times than items
            /// were put.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
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
            #[doc = concat!(" [`shutdown_immediate`](", stringify!($Queue), "::shutdown_immediate) marks the items it")]
            /// hands back as done.
            ///
            /// # Cancel safety
            ///
            /// This method is cancel safe: it takes nothing from the queue.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::<u8>::unbounded();")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::bounded(1);")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            #[doc = concat!(" assert_eq!(", stringify!($Queue), "::<u8>::bounded(3).capacity(), Some(3));")]
            #[doc = concat!(" assert_eq!(", stringify!($Queue), "::<u8>::unbounded().capacity(), None);")]
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
            #[doc = concat!(" use async_kit::queue::{", stringify!($Queue), ", TryGetError};")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
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
            #[doc = concat!(" for [`join`](", stringify!($Queue), "::join). Every waiting put, get and join wakes.")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            /// # #[tokio::main(flavor = "current_thread")]
            /// # async fn main() {
            #[doc = concat!(" let queue = ", stringify!($Queue), "::unbounded();")]
            #[doc = concat!(" queue.put_many([", $immediate_in, "]).await.unwrap();")]
            #[doc = concat!(" assert_eq!(queue.shutdown_immediate(), [", $immediate_out, "]);")]
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
            #[doc = concat!(" use async_kit::queue::", stringify!($Queue), ";")]
            ///
            #[doc = concat!(" let queue = ", stringify!($Queue), "::<u8>::unbounded();")]
            /// assert!(!queue.is_shutdown());
            /// queue.shutdown();
            /// assert!(queue.is_shutdown());
            /// ```
            #[must_use]
            pub fn is_shutdown(&self) -> bool {
                self.shared.is_shutdown()
            }
        }

        impl<T> Clone for $Queue<T> {
            fn clone(&self) -> Self {
                $Queue {
                    shared: Arc::clone(&self.shared),
                }
            }
        }

        impl<T $(: $bound)?> fmt::Debug for $Queue<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($Queue))
                    .field("len", &self.len())
                    .field("capacity", &self.capacity())
                    .field("unfinished", &self.shared.tasks().unfinished())
                    .field("shutdown", &self.is_shutdown())
                    .finish()
            }
        }

        impl<T $(: $bound)?> Handle for $Queue<T> {
            type Item = T;
            type Store = $Store<T>;

            fn shared(&self) -> &Shared<T, $Store<T>> {
                &self.shared
            }
        }
    };
}

pub(super) use queue_api;
