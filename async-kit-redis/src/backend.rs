//! `WorkQueue`: one producer/consumer program on either backend, the
//! in-process [`async_kit::Queue`] or the Redis-backed [`RedisQueue`].

use std::future::{self, Future};
use std::ops::Deref;

use async_kit::Queue;
use async_kit::queue::TaskGuard;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{DeliveryGuard, Error, PutError, RedisQueue};

/// The verbs a producer/consumer program needs, implemented by both the
/// in-process [`Queue`] and [`RedisQueue`], so the same generic code runs
/// in one process or across many.
///
/// Write the program once against `Q: WorkQueue<T>`; the choice of backend
/// is then one line (which queue to open), for example from a command-line
/// flag, and every call is dispatched statically.
///
/// # Why a trait, not an enum
///
/// A trait keeps the in-process hot path exactly as fast as calling
/// [`Queue`] directly (each generic function is compiled per backend, with
/// no match on every call), lets each backend keep its own job type (the
/// in-process [`TaskGuard`] borrows the queue; the Redis
/// [`DeliveryGuard`] owns a handle), and lets users add a backend of their
/// own. An enum would only save the caller a type parameter.
///
/// # Errors
///
/// Every verb returns the crate's [`Error`], one enum for both backends, so
/// that generic code has a single `match`. What each backend can actually
/// return differs, and the difference is kept in the variants rather than
/// hidden:
///
/// - The in-process [`Queue`] fails only with [`Error::ShutDown`] (a put
///   after shutdown, or a get once the queue is shut down and drained);
///   its `task_done`, `join`, `shutdown` and `len` never fail.
/// - [`RedisQueue`] can also fail with [`Error::ConnectionLost`],
///   [`Error::Redis`], [`Error::Encode`] and [`Error::Decode`] (an entry
///   someone else wrote that is not a valid item: the error holds its raw
///   bytes, and the entry is redelivered, not lost).
///
/// A consumer loop usually ends on [`Error::ShutDown`] and reports or
/// retries the others.
///
/// # Delivery
///
/// The in-process queue delivers each item exactly once. [`RedisQueue`]
/// delivers **at least once**: a job not acknowledged within the visibility
/// timeout (its consumer died, or worked too long) is delivered again, so
/// the consumer's effects must be idempotent. Generic code written for the
/// weaker guarantee is right on both.
///
/// # Examples
///
/// A producer and two consumers written once, run here on the in-process
/// queue; [`RedisQueue`] runs the same functions unchanged.
///
/// ```
/// use async_kit::Queue;
/// use async_kit_redis::{Error, WorkQueue};
///
/// async fn consume<Q: WorkQueue<u32>>(queue: Q) -> Result<u32, Error> {
///     let mut sum = 0;
///     loop {
///         match queue.get().await {
///             Ok(job) => {
///                 sum += *job;
///                 queue.task_done(job).await?;
///             }
///             Err(Error::ShutDown) => return Ok(sum),
///             Err(err) => return Err(err),
///         }
///     }
/// }
///
/// async fn produce<Q: WorkQueue<u32>>(queue: Q) -> Result<(), Error> {
///     for n in 1..=10 {
///         queue.put(n).await.map_err(|err| err.into_parts().0)?;
///     }
///     queue.join().await?; // every job acknowledged
///     queue.shutdown().await?; // the consumers' next get ends
///     Ok(())
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Error> {
/// let queue = Queue::bounded(4);
/// let consumers = [tokio::spawn(consume(queue.clone())), tokio::spawn(consume(queue.clone()))];
/// produce(queue).await?;
/// let mut total = 0;
/// for consumer in consumers {
///     total += consumer.await.unwrap()?;
/// }
/// assert_eq!(total, 55);
/// # Ok(())
/// # }
/// ```
///
/// On Redis, only the queue's construction differs:
///
/// ```no_run
/// use async_kit_redis::{Redis, RedisQueue, WorkQueue};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// let queue: RedisQueue<u32> = RedisQueue::builder("sums").capacity(4).open(&redis).await?;
/// WorkQueue::put(&queue, 7).await.map_err(|err| err.into_parts().0)?;
/// let job = WorkQueue::get(&queue).await?;
/// assert_eq!(*job, 7);
/// WorkQueue::task_done(&queue, job).await?;
/// WorkQueue::join(&queue).await?;
/// # Ok(())
/// # }
/// ```
pub trait WorkQueue<T>: Clone + Send + Sync + 'static {
    /// A taken item: derefs to it, and marks it done when dropped (or
    /// explicitly, with [`task_done`](WorkQueue::task_done)).
    type Job<'a>: Deref<Target = T> + Send
    where
        Self: 'a;

    /// Puts `item` at the back of the queue, waiting while it holds its
    /// capacity; on failure, the item is handed back in the [`PutError`].
    ///
    /// # Cancel safety
    ///
    /// In-process: this method is cancel safe, but cancelling makes you
    /// lose your place among the waiting putters, and the item is dropped.
    /// On Redis: as [`RedisQueue::put`].
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Queue;
    /// use async_kit_redis::{Error, WorkQueue};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Queue::unbounded();
    /// WorkQueue::put(&queue, 1).await.unwrap();
    /// WorkQueue::shutdown(&queue).await.unwrap();
    /// let err = WorkQueue::put(&queue, 2).await.unwrap_err();
    /// assert!(matches!(err.error(), Error::ShutDown));
    /// assert_eq!(err.into_inner(), 2);
    /// # }
    /// ```
    fn put(&self, item: T) -> impl Future<Output = Result<(), PutError<T>>> + Send;

    /// Takes the item at the front of the queue, waiting while it is empty;
    /// [`Error::ShutDown`] once the queue is shut down and drained.
    ///
    /// # Cancel safety
    ///
    /// In-process: this method is cancel safe: if it is used in
    /// `tokio::select!` and another branch completes first, no item was
    /// removed. On Redis: as [`RedisQueue::get`] (an item taken by a
    /// cancelled call is redelivered after the visibility timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Queue;
    /// use async_kit_redis::{Error, WorkQueue};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Queue::unbounded();
    /// WorkQueue::put(&queue, "job").await.unwrap();
    /// let job = WorkQueue::get(&queue).await.unwrap();
    /// assert_eq!(*job, "job");
    /// drop(job); // marks it done
    /// WorkQueue::shutdown(&queue).await.unwrap();
    /// assert!(matches!(WorkQueue::get(&queue).await, Err(Error::ShutDown)));
    /// # }
    /// ```
    fn get(&self) -> impl Future<Output = Result<Self::Job<'_>, Error>> + Send;

    /// Marks `job` done now, for [`join`](WorkQueue::join), and reports the
    /// outcome (which dropping the job cannot).
    ///
    /// On Redis this acknowledges the entry; if its lease had expired and
    /// another consumer acknowledged it first, that is not an error.
    ///
    /// # Cancel safety
    ///
    /// In-process, the job is marked done before the first await, so
    /// cancelling changes nothing. On Redis, if cancelled, the
    /// acknowledgement may or may not have reached Redis; an entry not
    /// acknowledged is redelivered after its lease.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Queue;
    /// use async_kit_redis::WorkQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Queue::unbounded();
    /// WorkQueue::put(&queue, 3).await.unwrap();
    /// let job = WorkQueue::get(&queue).await.unwrap();
    /// WorkQueue::task_done(&queue, job).await.unwrap();
    /// WorkQueue::join(&queue).await.unwrap(); // returns at once
    /// # }
    /// ```
    fn task_done<'a>(
        &'a self,
        job: Self::Job<'a>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Waits until every item put (by any process, on Redis) has been
    /// marked done.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it takes nothing from the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Queue;
    /// use async_kit_redis::WorkQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Queue::unbounded();
    /// WorkQueue::put(&queue, 1).await.unwrap();
    /// let worker = queue.clone();
    /// tokio::spawn(async move {
    ///     let job = WorkQueue::get(&worker).await.unwrap();
    ///     WorkQueue::task_done(&worker, job).await.unwrap();
    /// });
    /// WorkQueue::join(&queue).await.unwrap();
    /// assert_eq!(WorkQueue::len(&queue).await.unwrap(), 0);
    /// # }
    /// ```
    fn join(&self) -> impl Future<Output = Result<(), Error>> + Send;

    /// Shuts the queue down for every handle (every process, on Redis):
    /// puts fail, gets drain what is left and then fail with
    /// [`Error::ShutDown`]. Returns `true` if this call did it.
    ///
    /// # Cancel safety
    ///
    /// In-process, the queue is shut down before the first await. On Redis,
    /// if cancelled, the shutdown may or may not have reached Redis.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Queue;
    /// use async_kit_redis::WorkQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue: Queue<u8> = Queue::unbounded();
    /// assert!(WorkQueue::shutdown(&queue).await.unwrap());
    /// assert!(!WorkQueue::shutdown(&queue).await.unwrap());
    /// # }
    /// ```
    fn shutdown(&self) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Returns the number of items waiting to be taken.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Queue;
    /// use async_kit_redis::WorkQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Queue::unbounded();
    /// WorkQueue::put(&queue, 'a').await.unwrap();
    /// assert_eq!(WorkQueue::len(&queue).await.unwrap(), 1);
    /// # }
    /// ```
    fn len(&self) -> impl Future<Output = Result<usize, Error>> + Send;

    /// Returns `true` if no item is waiting to be taken.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::Queue;
    /// use async_kit_redis::WorkQueue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue: Queue<u8> = Queue::unbounded();
    /// assert!(WorkQueue::is_empty(&queue).await.unwrap());
    /// # }
    /// ```
    fn is_empty(&self) -> impl Future<Output = Result<bool, Error>> + Send {
        async move { Ok(self.len().await? == 0) }
    }
}

impl<T: Send + 'static> WorkQueue<T> for Queue<T> {
    type Job<'a> = TaskGuard<'a, T>;

    async fn put(&self, item: T) -> Result<(), PutError<T>> {
        Queue::put(self, item)
            .await
            .map_err(|err| PutError::new(Error::ShutDown, err.into_inner()))
    }

    async fn get(&self) -> Result<TaskGuard<'_, T>, Error> {
        self.get_guarded()
            .await
            .map_err(|_: async_kit::queue::ShutDown| Error::ShutDown)
    }

    fn task_done<'a>(
        &'a self,
        job: TaskGuard<'a, T>,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        // Marked done here, before the first poll, so that cancelling
        // the returned future changes nothing.
        drop(job.into_inner());
        future::ready(Ok(()))
    }

    async fn join(&self) -> Result<(), Error> {
        Queue::join(self).await;
        Ok(())
    }

    fn shutdown(&self) -> impl Future<Output = Result<bool, Error>> + Send {
        future::ready(Ok(Queue::shutdown(self)))
    }

    fn len(&self) -> impl Future<Output = Result<usize, Error>> + Send {
        future::ready(Ok(Queue::len(self)))
    }
}

impl<T> WorkQueue<T> for RedisQueue<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    type Job<'a> = DeliveryGuard<T>;

    fn put(&self, item: T) -> impl Future<Output = Result<(), PutError<T>>> + Send {
        RedisQueue::put(self, item)
    }

    fn get(&self) -> impl Future<Output = Result<DeliveryGuard<T>, Error>> + Send {
        self.get_guarded()
    }

    async fn task_done(&self, job: DeliveryGuard<T>) -> Result<(), Error> {
        job.done().await.map(drop)
    }

    fn join(&self) -> impl Future<Output = Result<(), Error>> + Send {
        RedisQueue::join(self)
    }

    fn shutdown(&self) -> impl Future<Output = Result<bool, Error>> + Send {
        RedisQueue::shutdown(self)
    }

    fn len(&self) -> impl Future<Output = Result<usize, Error>> + Send {
        RedisQueue::len(self)
    }
}
