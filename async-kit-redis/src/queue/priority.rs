//! `RedisPriorityQueue`: `asyncio.PriorityQueue` across processes, the
//! `RedisQueue` machinery with its waiting items in a sorted set.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Delivery, DeliveryGuard, Due, PutError, RedisQueue, encode};
use crate::{DecodeError, Error, Redis};

/// A priority queue shared by every process that opens the same name on the
/// same Redis server: the smallest priority comes out first, and items of
/// equal priority come out in the order they were put (first in, first
/// out), as [`async_kit::PriorityQueue`] in one process.
///
/// Everything but the order is [`RedisQueue`]'s, run by the same code:
/// delivery **at least once** with a lease (the visibility timeout),
/// [`task_done`](Self::task_done), [`extend_lease`](Self::extend_lease),
/// [`join`](Self::join) across processes, a capacity decided inside Redis,
/// and [`shutdown`](Self::shutdown). Read [`RedisQueue`]'s notes on
/// delivery, capacity and waiting; they hold here word for word.
///
/// # Priorities
///
/// A priority is an `i64` between `-2^53` and `2^53` (see
/// [`MAX_PRIORITY`](Self::MAX_PRIORITY)): Redis scores are doubles, exact
/// up to there. That holds a unix time in microseconds (until the year
/// 2255), so "earliest deadline first" is a priority queue of deadlines. A
/// put outside the range fails with [`Error::PriorityOutOfRange`] and hands
/// the item back.
///
/// # Redelivery comes first
///
/// A get takes the smallest waiting items and delivers them in the same
/// atomic step. An item whose lease expired is redelivered **ahead of any
/// priority**: it is already delivered once, and a get of any process picks
/// it up (when nothing is waiting, or once every quarter lease of the
/// handle, as for [`RedisQueue`]) before taking new ones.
///
/// # Delayed items
///
/// [`put_after`](Self::put_after) and [`put_at`](Self::put_at) put an item
/// that enters the queue with its priority when it is due, behind the items
/// of equal priority already waiting, as [`RedisQueue`]'s delayed items
/// enter at its back. Until then it is unfinished work for
/// [`join`](Self::join), not a waiting item.
///
/// This is not a [`WorkQueue`](crate::WorkQueue): its put takes a priority.
///
/// # Layout in Redis
///
/// Waiting items are the sorted set `ak:q:{NAME}:pq`, scored by priority,
/// each member a 20-digit number from the counter `ak:q:{NAME}:pseq`, a
/// `:` and the JSON (equal scores sort by member, so by put order). A get
/// moves the members it takes into [`RedisQueue`]'s stream `ak:q:{NAME}:s`,
/// where leases and acknowledgement live; the flag, the channel and the
/// waiters' markers are [`RedisQueue`]'s. Delayed items wait in
/// [`RedisQueue`]'s delayed set `ak:q:{NAME}:d`, each member holding its
/// priority too (`NUMBER:PRIORITY:JSON`). A name is one kind of queue: do
/// not open it as both (see
/// [`open_priority`](crate::RedisQueueBuilder::open_priority)).
///
/// # Examples
///
/// ```no_run
/// use async_kit_redis::{Redis, RedisPriorityQueue};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// let queue: RedisPriorityQueue<String> = RedisPriorityQueue::open(&redis, "triage").await?;
/// queue.put(5, "routine".to_owned()).await.map_err(|err| err.into_parts().0)?;
/// queue.put(1, "urgent".to_owned()).await.map_err(|err| err.into_parts().0)?;
/// queue.put(5, "routine, later".to_owned()).await.map_err(|err| err.into_parts().0)?;
/// let mut order = Vec::new();
/// for _ in 0..3 {
///     let job = queue.get_guarded().await?; // acknowledged when dropped
///     order.push(job.clone());
/// }
/// assert_eq!(order, ["urgent", "routine", "routine, later"]);
/// # Ok(())
/// # }
/// ```
pub struct RedisPriorityQueue<T> {
    queue: RedisQueue<T>,
}

impl<T> RedisPriorityQueue<T> {
    /// The largest priority a put accepts, `2^53`; the smallest is its
    /// negation. Every integer in between is exact as a Redis score.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::RedisPriorityQueue;
    ///
    /// assert_eq!(RedisPriorityQueue::<()>::MAX_PRIORITY, 9_007_199_254_740_992);
    /// ```
    pub const MAX_PRIORITY: i64 = 1 << 53;
}

impl<T> RedisPriorityQueue<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    /// Wraps a queue opened in priority mode.
    pub(super) fn new(queue: RedisQueue<T>) -> Self {
        RedisPriorityQueue { queue }
    }

    /// Opens the unbounded priority queue `name` with the default
    /// visibility timeout (30 seconds); [`RedisQueue::builder`] then
    /// [`open_priority`](crate::RedisQueueBuilder::open_priority) sets both.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, as [`RedisQueueBuilder::open`](crate::RedisQueueBuilder::open).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_kit_redis::{Redis, RedisPriorityQueue};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "ranked").await?;
    /// assert_eq!(queue.capacity(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(redis: &Redis, name: &str) -> Result<Self, Error> {
        RedisQueue::builder(name).open_priority(redis).await
    }

    /// Puts `item` with `priority`, waiting while the queue holds
    /// `capacity` waiting items. It comes out after every waiting item of a
    /// smaller or equal priority.
    ///
    /// Fails with [`Error::PriorityOutOfRange`] for a priority beyond
    /// [`MAX_PRIORITY`](Self::MAX_PRIORITY) either way, and otherwise as
    /// [`RedisQueue::put`]; the item is handed back in the [`PutError`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits for space puts nothing and drops the item.
    /// Cancelling while its script is in flight may still put the item.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Error, Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u8> = RedisPriorityQueue::open(&redis, "put").await?;
    /// queue.put(2, b'b').await.map_err(|err| err.into_parts().0)?;
    /// queue.put(1, b'a').await.map_err(|err| err.into_parts().0)?;
    /// assert_eq!(queue.len().await?, 2);
    /// let err = queue.put(i64::MAX, b'z').await.unwrap_err();
    /// assert!(matches!(err.error(), Error::PriorityOutOfRange(i64::MAX)));
    /// assert_eq!(err.into_inner(), b'z');
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put(&self, priority: i64, item: T) -> Result<(), PutError<T>> {
        match checked(priority, &item) {
            Ok(payload) => self.queue.put_encoded(payload, item).await,
            Err(err) => Err(PutError::new(err, item)),
        }
    }

    /// Puts `item` with `priority` if the queue has room now, without
    /// waiting.
    ///
    /// Fails with [`Error::Full`] when it holds `capacity` waiting items,
    /// and otherwise as [`put`](Self::put); the item is handed back.
    ///
    /// # Cancel safety
    ///
    /// Cancelling may or may not put the item (one round trip to Redis).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Error, Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue = RedisQueue::<u8>::builder("tiny-ranked").capacity(1).open_priority(&redis).await?;
    /// queue.try_put(9, 1).await.map_err(|err| err.into_parts().0)?;
    /// let err = queue.try_put(0, 2).await.unwrap_err(); // a small priority does not make room
    /// assert!(matches!(err.error(), Error::Full));
    /// assert_eq!(err.into_inner(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_put(&self, priority: i64, item: T) -> Result<(), PutError<T>> {
        match checked(priority, &item) {
            Ok(payload) => self.queue.try_put_encoded(payload, item).await,
            Err(err) => Err(PutError::new(err, item)),
        }
    }

    /// Puts every `(priority, item)` of `items`, in order, in as few round
    /// trips as the capacity allows, as [`RedisQueue::put_many`] does.
    ///
    /// Every priority is checked before anything is put: one out of range
    /// fails the whole call with [`Error::PriorityOutOfRange`]. On an error
    /// the pairs not yet put are handed back, in order (after
    /// [`Error::ConnectionLost`] the first batch sent may or may not be in
    /// the queue).
    ///
    /// # Cancel safety
    ///
    /// Cancelling keeps the items already put in the queue and drops the
    /// rest; the batch in flight may or may not be put.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "ranked-batch").await?;
    /// queue.put_many((1..=100).map(|n| (i64::from(n % 10), n))).await.map_err(|err| err.into_parts().0)?;
    /// let batch = queue.get_many(3).await?;
    /// let items: Vec<u32> = batch.iter().map(|d| **d.as_ref().unwrap()).collect();
    /// assert_eq!(items, [10, 20, 30]); // priority 0, in put order
    /// let ids: Vec<&str> = batch.iter().map(|d| d.as_ref().unwrap().id()).collect();
    /// assert_eq!(queue.task_done_many(&ids).await?, 3);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put_many<I>(&self, items: I) -> Result<(), PutError<Vec<(i64, T)>>>
    where
        I: IntoIterator<Item = (i64, T)>,
    {
        let items: Vec<(i64, T)> = items.into_iter().collect();
        let payloads = items
            .iter()
            .map(|(priority, item)| checked(*priority, item))
            .collect();
        match payloads {
            Ok(payloads) => self.queue.put_all(payloads, items).await,
            Err(err) => Err(PutError::new(err, items)),
        }
    }

    /// Puts `item` with `priority` into the queue `delay` from now, by the
    /// Redis server's clock, as [`RedisQueue::put_after`] does: until due
    /// it is [`unfinished`](Self::unfinished) but not waiting; once due it
    /// enters with its priority, behind the waiting items of equal priority,
    /// at the next put or get of any process and as the capacity allows.
    ///
    /// This never waits for room. Fails with
    /// [`Error::PriorityOutOfRange`], [`Error::ShutDown`],
    /// [`Error::Encode`] or a connection or Redis error, handing the item
    /// back. Delays beyond 285 000 years are cut to that.
    ///
    /// # Cancel safety
    ///
    /// Cancelling may or may not put the item (one round trip to Redis).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # use async_kit_redis::{Error, Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<String> = RedisPriorityQueue::open(&redis, "retries").await?;
    /// let retry = "retry, urgent".to_owned();
    /// queue.put_after(Duration::from_secs(1), 0, retry).await.map_err(|err| err.into_parts().0)?;
    /// queue.put(5, "routine".to_owned()).await.map_err(|err| err.into_parts().0)?;
    /// assert_eq!(*queue.get().await?, "routine"); // the retry is not due yet
    /// assert!(matches!(queue.try_get().await, Err(Error::Empty)));
    /// assert_eq!(queue.unfinished().await?, 2);
    /// assert_eq!(*queue.get().await?, "retry, urgent"); // waits until it is due
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put_after(
        &self,
        delay: Duration,
        priority: i64,
        item: T,
    ) -> Result<(), PutError<T>> {
        match checked(priority, &item) {
            Ok(payload) => {
                self.queue
                    .put_delayed(Due::after(delay), payload, item)
                    .await
            }
            Err(err) => Err(PutError::new(err, item)),
        }
    }

    /// Puts `item` with `priority` into the queue at the wall-clock time
    /// `when`, as [`put_after`](Self::put_after) does after a delay (and as
    /// [`RedisQueue::put_at`] reads `when`: on the caller's clock, due when
    /// the server's reaches it; a time in the past means due now).
    ///
    /// Fails, never waits for room, and hands the item back as
    /// [`put_after`](Self::put_after).
    ///
    /// # Cancel safety
    ///
    /// Cancelling may or may not put the item (one round trip to Redis).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::{Duration, SystemTime};
    /// # use async_kit_redis::{Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "ranked-at").await?;
    /// let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    /// queue.put(2, 20).await.map_err(|err| err.into_parts().0)?;
    /// queue.put_at(an_hour_ago, 1, 10).await.map_err(|err| err.into_parts().0)?;
    /// assert_eq!(*queue.try_get().await?, 10); // due now, and the smaller priority
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put_at(
        &self,
        when: SystemTime,
        priority: i64,
        item: T,
    ) -> Result<(), PutError<T>> {
        match checked(priority, &item) {
            Ok(payload) => self.queue.put_delayed(Due::at(when), payload, item).await,
            Err(err) => Err(PutError::new(err, item)),
        }
    }

    /// Takes the waiting item of the smallest priority (the first put among
    /// equals), or one whose lease expired with another consumer, waiting
    /// until there is one (a put, or a delayed item coming due).
    ///
    /// After [`shutdown`](Self::shutdown) it drains what is left, delayed
    /// items included (waiting until they are due), then fails with
    /// [`Error::ShutDown`]. An item that does not decode fails with
    /// [`Error::Decode`] as [`RedisQueue::get`] describes; other items are
    /// not affected.
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits takes nothing. Cancelling while its script
    /// is in flight may deliver an item nobody receives: it is not lost, but
    /// comes back to a get after the visibility timeout (ahead of the
    /// priorities then).
    ///
    /// # Examples
    ///
    /// See [`RedisPriorityQueue`].
    pub async fn get(&self) -> Result<Delivery<T>, Error> {
        self.queue.get().await
    }

    /// Takes the item [`get`](Self::get) would, without waiting:
    /// [`Error::Empty`] if there is none.
    ///
    /// # Cancel safety
    ///
    /// As [`get`](Self::get) while its script is in flight.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Error, Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u8> = RedisPriorityQueue::open(&redis, "try-ranked").await?;
    /// assert!(matches!(queue.try_get().await, Err(Error::Empty)));
    /// queue.put(3, 30).await.map_err(|err| err.into_parts().0)?;
    /// queue.put(-1, 10).await.map_err(|err| err.into_parts().0)?;
    /// assert_eq!(*queue.try_get().await?, 10);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_get(&self) -> Result<Delivery<T>, Error> {
        self.queue.try_get().await
    }

    /// Takes an item as [`get`](Self::get) does, in a guard that
    /// acknowledges it when dropped.
    ///
    /// # Cancel safety
    ///
    /// As [`get`](Self::get).
    ///
    /// # Examples
    ///
    /// See [`RedisPriorityQueue`].
    pub async fn get_guarded(&self) -> Result<DeliveryGuard<T>, Error> {
        self.queue.get_guarded().await
    }

    /// Takes up to `max` items in one round trip, smallest priority first,
    /// waiting until there is at least one (for `max == 0`, returns an
    /// empty batch at once). Fails as [`RedisQueue::get_many`] does.
    ///
    /// # Cancel safety
    ///
    /// As [`get`](Self::get): a batch taken by a cancelled call is
    /// redelivered after the visibility timeout.
    ///
    /// # Examples
    ///
    /// See [`put_many`](Self::put_many).
    pub async fn get_many(
        &self,
        max: usize,
    ) -> Result<Vec<Result<Delivery<T>, DecodeError>>, Error> {
        self.queue.get_many(max).await
    }

    /// Acknowledges the delivered item `id`, as [`RedisQueue::task_done`]:
    /// `true` if this call did.
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the acknowledgement may or may not have reached Redis;
    /// calling it again is harmless.
    ///
    /// # Examples
    ///
    /// See [`join`](Self::join).
    pub async fn task_done(&self, id: &str) -> Result<bool, Error> {
        self.queue.task_done(id).await
    }

    /// Acknowledges the delivered items `ids` in one round trip, as
    /// [`RedisQueue::task_done_many`]; returns how many this call did.
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the acknowledgements may or may not have reached Redis;
    /// calling it again is harmless.
    ///
    /// # Examples
    ///
    /// See [`put_many`](Self::put_many).
    pub async fn task_done_many(&self, ids: &[&str]) -> Result<usize, Error> {
        self.queue.task_done_many(ids).await
    }

    /// Restarts the lease of the delivered item `id`, as
    /// [`RedisQueue::extend_lease`]: `false` if this handle no longer holds
    /// it.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: the lease is restarted or not, and
    /// calling it again is harmless.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "long-ranked").await?;
    /// queue.put(0, 1).await.map_err(|err| err.into_parts().0)?;
    /// let job = queue.get().await?;
    /// assert!(queue.extend_lease(job.id()).await?); // still ours
    /// queue.task_done(job.id()).await?;
    /// assert!(!queue.extend_lease(job.id()).await?); // finished
    /// # Ok(())
    /// # }
    /// ```
    pub async fn extend_lease(&self, id: &str) -> Result<bool, Error> {
        self.queue.extend_lease(id).await
    }

    /// Waits until every item put by any process has been acknowledged.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it changes nothing in Redis.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "join-ranked").await?;
    /// queue.put(1, 7).await.map_err(|err| err.into_parts().0)?;
    /// let worker = queue.clone();
    /// tokio::spawn(async move {
    ///     let job = worker.get().await?;
    ///     worker.task_done(job.id()).await
    /// });
    /// queue.join().await?; // returns once the worker acknowledged
    /// assert_eq!(queue.unfinished().await?, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn join(&self) -> Result<(), Error> {
        self.queue.join().await
    }

    /// Returns the number of unfinished items: put by any process and not
    /// yet acknowledged (waiting, delivered, or delayed and not yet due).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "unfinished-ranked").await?;
    /// queue.put(1, 1).await.map_err(|err| err.into_parts().0)?;
    /// queue.put(2, 2).await.map_err(|err| err.into_parts().0)?;
    /// let _job = queue.get().await?;
    /// assert_eq!((queue.len().await?, queue.unfinished().await?), (1, 2));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn unfinished(&self) -> Result<usize, Error> {
        self.queue.unfinished().await
    }

    /// Returns the number of waiting items (put, not yet got), across all
    /// processes. Delayed items count once they are due and the capacity
    /// leaves them room.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// See [`put`](Self::put).
    pub async fn len(&self) -> Result<usize, Error> {
        self.queue.len().await
    }

    /// Returns `true` if no item is waiting.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "empty-ranked").await?;
    /// assert!(queue.is_empty().await?);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn is_empty(&self) -> Result<bool, Error> {
        self.queue.is_empty().await
    }

    /// Returns the capacity this handle enforces, `None` if unbounded.
    ///
    /// # Examples
    ///
    /// See [`RedisQueueBuilder::open_priority`](crate::RedisQueueBuilder::open_priority).
    pub fn capacity(&self) -> Option<usize> {
        self.queue.capacity()
    }

    /// Returns the queue's name.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "jobs-ranked").await?;
    /// assert_eq!(queue.name(), "jobs-ranked");
    /// # Ok(())
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        self.queue.name()
    }

    /// Shuts the queue down for every process, as [`RedisQueue::shutdown`]:
    /// puts fail with [`Error::ShutDown`], gets drain the waiting items
    /// (smallest first) and the delayed items as they come due, and then
    /// fail; delivered items can still be acknowledged. Returns `true` if
    /// this call shut it down.
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the shutdown may or may not have happened.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Error, Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "closing-ranked").await?;
    /// queue.put(1, 1).await.map_err(|err| err.into_parts().0)?;
    /// assert!(queue.shutdown().await?);
    /// assert!(queue.is_shutdown().await?);
    /// assert_eq!(*queue.get().await?, 1); // drained
    /// assert!(matches!(queue.get().await, Err(Error::ShutDown)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self) -> Result<bool, Error> {
        self.queue.shutdown().await
    }

    /// Shuts the queue down as [`shutdown`](Self::shutdown) does, and takes
    /// every waiting item out of it, smallest priority first (ties in put
    /// order), then every delayed item in due order, handing them back;
    /// they count as finished for [`join`](Self::join). A member that does
    /// not decode is handed back as its [`DecodeError`], raw bytes included
    /// (its id is its sequence number, empty for a member not in the
    /// queue's format).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if cancelled while its script is in flight, the
    /// waiting and delayed items are removed from Redis and lost.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "stop-ranked").await?;
    /// queue.put_many([(3, 30), (1, 10), (2, 20)]).await.map_err(|err| err.into_parts().0)?;
    /// let left: Vec<u32> = queue.shutdown_immediate().await?.into_iter().map(Result::unwrap).collect();
    /// assert_eq!(left, [10, 20, 30]);
    /// queue.join().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown_immediate(&self) -> Result<Vec<Result<T, DecodeError>>, Error> {
        self.queue.shutdown_immediate().await
    }

    /// Returns `true` if any process shut the queue down.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// See [`shutdown`](Self::shutdown).
    pub async fn is_shutdown(&self) -> Result<bool, Error> {
        self.queue.is_shutdown().await
    }

    /// Clears the shutdown flag, as [`RedisQueue::reopen`]: puts are
    /// accepted again. Returns `true` if the queue was shut down.
    ///
    /// # Cancel safety
    ///
    /// As [`RedisQueue::reopen`]: if cancelled, the flag may or may not have
    /// been cleared; calling it again is harmless.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisPriorityQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "nightly-triage").await?;
    /// queue.shutdown().await?;
    /// assert!(queue.reopen().await?);
    /// queue.put(1, 7).await.map_err(|err| err.into_parts().0)?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reopen(&self) -> Result<bool, Error> {
        self.queue.reopen().await
    }
}

/// Encodes `item` with `priority`, refusing a priority a Redis score does
/// not hold exactly.
fn checked<T: Serialize>(priority: i64, item: &T) -> Result<super::Payload, Error> {
    if priority.unsigned_abs() > RedisPriorityQueue::<T>::MAX_PRIORITY.unsigned_abs() {
        return Err(Error::PriorityOutOfRange(priority));
    }
    encode(item, priority)
}

impl<T> Clone for RedisPriorityQueue<T> {
    fn clone(&self) -> Self {
        RedisPriorityQueue {
            queue: self.queue.clone(),
        }
    }
}

impl<T> fmt::Debug for RedisPriorityQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.queue.inner;
        f.debug_struct("RedisPriorityQueue")
            .field("name", &inner.name)
            .field("url", &inner.redis.url())
            .field("capacity", &inner.capacity)
            .field("visibility_timeout", &inner.visibility_timeout)
            .finish_non_exhaustive()
    }
}
