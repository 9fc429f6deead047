//! `RedisQueue`: `asyncio.Queue` across processes, on a Redis stream with
//! one consumer group.

mod delivery;
mod error;
mod priority;
mod scripts;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionManager;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use delivery::{Delivery, DeliveryGuard};
pub use error::PutError;
pub use priority::RedisPriorityQueue;

use crate::events::{self, Events, Listener};
use crate::{DecodeError, Error, Redis};

/// The consumer group every handle reads through.
const GROUP: &str = "ak";

/// The most items one script run moves, so that one call never holds Redis
/// for long.
const MAX_BATCH: usize = 1_000;

/// The visibility timeout unless the builder says otherwise.
const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);

/// A FIFO queue shared by every process that opens the same name on the same
/// Redis server, with the verbs of [`async_kit::Queue`].
///
/// Items are serialised with serde_json. Every handle of a name sees one
/// queue: a put in one process is got in another; [`join`](Self::join) in
/// one process returns when the items put by every process have been
/// acknowledged with [`task_done`](Self::task_done) by any process;
/// [`shutdown`](Self::shutdown) is seen by all. For smallest-first order
/// instead, open a [`RedisPriorityQueue`] (the same machinery, with a
/// priority on each put).
///
/// # Delivery: at least once
///
/// A get delivers an item to this handle and starts its *lease* (the
/// [visibility timeout](RedisQueueBuilder::visibility_timeout)). The item
/// is finished only by [`task_done`](Self::task_done) (or dropping the
/// [`DeliveryGuard`] of [`get_guarded`](Self::get_guarded)). If the lease
/// expires first — the consumer was killed, its connection cut, or its work
/// outlasted the lease without [`extend_lease`](Self::extend_lease) — the
/// next get in any process receives the item again.
///
/// So every item put is delivered **at least once, not exactly once**: a
/// consumer that finished its work but died before `task_done`, or whose
/// lease expired while it worked, has its item handled twice. Consumers
/// must make their effects idempotent (an upsert keyed by the item, a check
/// of "already done" before a side effect). A put that returned `Ok` is in
/// Redis; a put that returned [`Error::ConnectionLost`] may or may not be.
/// Durability across a restart of Redis is Redis's own (`appendonly`).
///
/// # Capacity
///
/// A bounded queue holds at most `capacity` waiting items (put, not yet
/// got), counted by all producers together: the check and the add run in
/// one Lua script inside Redis, never as a read in one process then a write.
/// Every handle of a name should be opened with the same capacity; each put
/// enforces the capacity of the handle it is called on.
///
/// # Waiting
///
/// Waiting putters, getters and joiners are woken by events the scripts
/// publish (Redis pub/sub, one subscription per handle), not by polling.
/// Getters also look again once per visibility timeout, since a consumer's
/// death publishes nothing and its items become due only when their lease
/// expires.
///
/// # Delayed items
///
/// [`put_after`](Self::put_after) and [`put_at`](Self::put_at) put an item
/// that enters the queue only when it is due (asyncio's `call_later` and
/// `call_at`, durable in Redis). Until then it is unfinished work for
/// [`join`](Self::join) but not a waiting item for [`len`](Self::len) or
/// the capacity. After [`shutdown`](Self::shutdown) the delayed items are
/// still delivered when due, and getters end only once none is left;
/// [`shutdown_immediate`](Self::shutdown_immediate) hands them back.
///
/// # Layout in Redis
///
/// The stream `ak:q:{NAME}:s` (one field `v`, the JSON), its consumer group
/// `ak`, the flag `ak:q:{NAME}:shutdown` and the channel `ak:q:{NAME}:ev`.
/// An acknowledged entry is deleted, so the stream holds exactly the
/// unfinished items that are not delayed. Delayed items wait in the sorted
/// set `ak:q:{NAME}:d`, scored by due time (unix ms), each member a
/// 20-digit number from the counter `ak:q:{NAME}:dseq`, a `:` and the JSON.
///
/// # Examples
///
/// ```no_run
/// use async_kit_redis::{Redis, RedisQueue};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// let queue: RedisQueue<String> = RedisQueue::builder("urls").capacity(64).open(&redis).await?;
/// for worker in 0..4 {
///     let queue = queue.clone();
///     tokio::spawn(async move {
///         // Each worker could be another process opening "urls".
///         while let Ok(url) = queue.get_guarded().await {
///             println!("worker {worker} fetches {}", *url);
///         }
///     });
/// }
/// for i in 0..10 {
///     queue.put(format!("http://127.0.0.1:3000/aio?{i}")).await.map_err(|err| err.into_parts().0)?;
/// }
/// queue.join().await?; // every item put has been acknowledged
/// # Ok(())
/// # }
/// ```
pub struct RedisQueue<T> {
    inner: Arc<Inner>,
    _items: PhantomData<fn(T) -> T>,
}

struct Inner {
    redis: Redis,
    manager: ConnectionManager,
    name: String,
    stream: String,
    shutdown_key: String,
    // Markers of waiting getters, putters and joiners: events are published
    // only while one exists (see `scripts`).
    waiting_getters: String,
    waiting_putters: String,
    waiting_joiners: String,
    /// The sorted set of delayed items and the counter numbering them.
    delayed: String,
    delayed_seq: String,
    /// A priority queue's set of waiting items and its counter; `None` for
    /// a FIFO queue, whose scripts then never see them.
    priority: Option<PrioritySet>,
    channel: String,
    consumer: String,
    capacity: Option<usize>,
    visibility_timeout: Duration,
    events: Arc<Events>,
    _listener: Listener,
    /// When the handle opened, and (in ms since then) when one of its gets
    /// last looked for expired leases first.
    opened: Instant,
    last_claim_ms: AtomicU64,
}

/// The keys of a priority queue's waiting items.
struct PrioritySet {
    /// The sorted set: score the priority, member a 20-digit number from
    /// `seq`, `:` and the JSON.
    set: String,
    seq: String,
}

/// Configures and opens a [`RedisQueue`], or with
/// [`open_priority`](Self::open_priority) a [`RedisPriorityQueue`]:
/// capacity and visibility timeout.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use async_kit_redis::{Redis, RedisQueue};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// let queue: RedisQueue<u64> = RedisQueue::builder("jobs")
///     .capacity(100)
///     .visibility_timeout(Duration::from_secs(60))
///     .open(&redis)
///     .await?;
/// assert_eq!(queue.capacity(), Some(100));
/// # Ok(())
/// # }
/// ```
#[must_use = "a builder does nothing until `open` is awaited"]
pub struct RedisQueueBuilder<T> {
    name: String,
    capacity: Option<usize>,
    visibility_timeout: Duration,
    _items: PhantomData<fn(T) -> T>,
}

impl<T> fmt::Debug for RedisQueueBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisQueueBuilder")
            .field("name", &self.name)
            .field("capacity", &self.capacity)
            .field("visibility_timeout", &self.visibility_timeout)
            .finish()
    }
}

impl<T> RedisQueueBuilder<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    /// Bounds the queue to `capacity` waiting items (0 means unbounded, as
    /// in asyncio).
    ///
    /// # Examples
    ///
    /// See [`RedisQueueBuilder`].
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = (capacity > 0).then_some(capacity);
        self
    }

    /// Sets the lease of a delivered item: after this long without
    /// [`task_done`](RedisQueue::task_done) or
    /// [`extend_lease`](RedisQueue::extend_lease) it is delivered again.
    /// Thirty seconds unless set; at least one millisecond.
    ///
    /// # Examples
    ///
    /// See [`RedisQueueBuilder`].
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Opens the queue on `redis`: creates its stream and consumer group if
    /// they do not exist and subscribes to its events.
    ///
    /// A key of the queue holding another type gives [`Error::Redis`].
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: cancelling it leaves at most an empty
    /// stream and group, which the next open reuses.
    ///
    /// # Examples
    ///
    /// See [`RedisQueueBuilder`].
    pub async fn open(self, redis: &Redis) -> Result<RedisQueue<T>, Error> {
        self.open_as(redis, false).await
    }

    /// Opens the priority queue of this name on `redis`, as
    /// [`open`](Self::open) opens the FIFO queue: smallest priority first,
    /// equal priorities first in, first out.
    ///
    /// A name is one kind of queue: do not open it as both. The two kinds
    /// share the stream and the delayed set, not the order: a FIFO handle
    /// never reads the priority set, a priority handle takes the FIFO
    /// queue's entries ahead of every priority, and each kind's delayed
    /// members look malformed to the other.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, as [`open`](Self::open).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_kit_redis::{Redis, RedisPriorityQueue, RedisQueue};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisPriorityQueue<String> = RedisQueue::builder("urgent-first")
    ///     .capacity(100)
    ///     .visibility_timeout(Duration::from_secs(60))
    ///     .open_priority(&redis)
    ///     .await?;
    /// assert_eq!(queue.capacity(), Some(100));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open_priority(self, redis: &Redis) -> Result<RedisPriorityQueue<T>, Error> {
        Ok(RedisPriorityQueue::new(self.open_as(redis, true).await?))
    }

    async fn open_as(self, redis: &Redis, priority: bool) -> Result<RedisQueue<T>, Error> {
        let prefix = format!("ak:q:{{{}}}", self.name);
        let stream = format!("{prefix}:s");
        let mut manager = redis.manager();
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&stream)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut manager)
            .await;
        match created {
            Ok(()) => {}
            Err(err) if err.code() == Some("BUSYGROUP") => {}
            Err(err) => return Err(Error::from_redis(err)),
        }
        let channel = format!("{prefix}:ev");
        let events = Arc::new(Events::default());
        let listener =
            events::subscribe(redis.client(), redis.url(), channel.clone(), &events).await?;
        Ok(RedisQueue {
            inner: Arc::new(Inner {
                redis: redis.clone(),
                manager,
                shutdown_key: format!("{prefix}:shutdown"),
                waiting_getters: format!("{prefix}:w:get"),
                waiting_putters: format!("{prefix}:w:put"),
                waiting_joiners: format!("{prefix}:w:join"),
                delayed: format!("{prefix}:d"),
                delayed_seq: format!("{prefix}:dseq"),
                priority: priority.then(|| PrioritySet {
                    set: format!("{prefix}:pq"),
                    seq: format!("{prefix}:pseq"),
                }),
                stream,
                channel,
                consumer: consumer_name(),
                name: self.name,
                capacity: self.capacity,
                visibility_timeout: self.visibility_timeout,
                events,
                _listener: listener,
                opened: Instant::now(),
                last_claim_ms: AtomicU64::new(0),
            }),
            _items: PhantomData,
        })
    }
}

/// A consumer name unique to this handle: the process id, the time and a
/// counter.
fn consumer_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!(
        "{}-{nanos:x}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// What one get script run found.
enum Taken {
    Entries(Vec<(String, Vec<u8>)>),
    /// Nothing to take now; the earliest delayed item is due in this long
    /// (by the server's clock).
    Later(Duration),
    ShutDown,
}

/// When a delayed item is due: after a delay from the server's clock, or
/// at a unix time in ms.
enum Due {
    After(u64),
    At(u64),
}

/// The latest due time a delayed put accepts, in ms: 2^53, where a Lua
/// number (a double) is still exact. About 285 000 years after 1970.
const MAX_DUE_MILLIS: u64 = 1 << 53;

impl Due {
    /// Due `delay` after the server's clock at the put; beyond 285 000
    /// years cut to that.
    fn after(delay: Duration) -> Due {
        Due::After(lease_millis(delay).min(MAX_DUE_MILLIS))
    }

    /// Due at the wall-clock time `when` (before 1970: now).
    fn at(when: SystemTime) -> Due {
        let millis = when.duration_since(UNIX_EPOCH).map_or(0, lease_millis);
        Due::At(millis.min(MAX_DUE_MILLIS))
    }
}

impl<T> RedisQueue<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    /// Opens the unbounded queue `name` with the default visibility timeout
    /// (30 seconds); [`builder`](Self::builder) sets both.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, as [`RedisQueueBuilder::open`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_kit_redis::{Redis, RedisQueue};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "numbers").await?;
    /// assert_eq!(queue.capacity(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(redis: &Redis, name: &str) -> Result<RedisQueue<T>, Error> {
        RedisQueue::builder(name).open(redis).await
    }

    /// Returns a builder for the queue `name`.
    ///
    /// # Examples
    ///
    /// See [`RedisQueueBuilder`].
    pub fn builder(name: &str) -> RedisQueueBuilder<T> {
        RedisQueueBuilder {
            name: name.to_owned(),
            capacity: None,
            visibility_timeout: DEFAULT_VISIBILITY_TIMEOUT,
            _items: PhantomData,
        }
    }

    /// Puts `item` at the back of the queue, waiting while it holds
    /// `capacity` waiting items.
    ///
    /// Fails with [`Error::ShutDown`] once any process shut the queue down,
    /// [`Error::Encode`] if serde_json refuses the item, or a connection or
    /// Redis error; the item is handed back in the [`PutError`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits for space puts nothing and drops the item.
    /// Cancelling while its script is in flight may still put the item.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<String> = RedisQueue::open(&redis, "put").await?;
    /// queue.put("a".to_owned()).await.map_err(|err| err.into_parts().0)?;
    /// assert_eq!(queue.len().await?, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put(&self, item: T) -> Result<(), PutError<T>> {
        match encode(&item, 0) {
            Ok(payload) => self.put_encoded(payload, item).await,
            Err(err) => Err(PutError::new(err, item)),
        }
    }

    /// Puts the encoded `payload`, waiting for room; `item` is what an
    /// error hands back.
    async fn put_encoded<U>(&self, payload: Payload, item: U) -> Result<(), PutError<U>> {
        loop {
            let notified = self.inner.events.space.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self
                .put_payloads(std::slice::from_ref(&payload), true)
                .await
            {
                Ok(1) => return Ok(()),
                Ok(_) => {}
                Err(err) => return Err(PutError::new(err, item)),
            }
            // Full: wait for a get anywhere to publish that it took an item,
            // looking again (and renewing the registration) now and then.
            self.wait(notified).await;
        }
    }

    /// Puts `item` if the queue has room now, without waiting.
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
    /// let queue: RedisQueue<u8> = RedisQueue::builder("tiny").capacity(1).open(&redis).await?;
    /// queue.try_put(1).await.map_err(|err| err.into_parts().0)?;
    /// let err = queue.try_put(2).await.unwrap_err();
    /// assert!(matches!(err.error(), Error::Full));
    /// assert_eq!(err.into_inner(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_put(&self, item: T) -> Result<(), PutError<T>> {
        match encode(&item, 0) {
            Ok(payload) => self.try_put_encoded(payload, item).await,
            Err(err) => Err(PutError::new(err, item)),
        }
    }

    /// Puts the encoded `payload` if there is room now; `item` is what an
    /// error hands back.
    async fn try_put_encoded<U>(&self, payload: Payload, item: U) -> Result<(), PutError<U>> {
        match self
            .put_payloads(std::slice::from_ref(&payload), false)
            .await
        {
            Ok(1) => Ok(()),
            Ok(_) => Err(PutError::new(Error::Full, item)),
            Err(err) => Err(PutError::new(err, item)),
        }
    }

    /// Puts `item` in the queue `delay` from now, by the Redis server's
    /// clock: asyncio's `call_later` for a queue, durable across restarts.
    ///
    /// Until it is due the item waits in Redis, outside the queue: it is
    /// not [`len`](Self::len) and no get receives it, but it is
    /// [`unfinished`](Self::unfinished) work that [`join`](Self::join)
    /// waits for. Once due it joins the back of the queue at the next put or
    /// get of any process (so before any item put after its due time), in
    /// due order with the other delayed items and as the capacity allows: a
    /// due item waits for room like any other.
    ///
    /// The due time is computed inside Redis from its own `TIME`, so the
    /// clocks of the processes do not matter. A delayed item is ordinary
    /// Redis data: it survives a restart as the queue does (`appendonly`).
    ///
    /// This never waits for room: the capacity counts waiting items, and a
    /// delayed item is not one until it is due. Fails with
    /// [`Error::ShutDown`] once any process shut the queue down,
    /// [`Error::Encode`] if serde_json refuses the item, or a connection or
    /// Redis error; the item is handed back in the [`PutError`]. Delays
    /// beyond 285 000 years are cut to that.
    ///
    /// # Cancel safety
    ///
    /// Cancelling may or may not put the item (one round trip to Redis).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # use async_kit_redis::{Error, Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<String> = RedisQueue::open(&redis, "reminders").await?;
    /// let later = "later".to_owned();
    /// queue.put_after(Duration::from_millis(300), later).await.map_err(|err| err.into_parts().0)?;
    /// queue.put("now".to_owned()).await.map_err(|err| err.into_parts().0)?;
    /// assert_eq!(*queue.get().await?, "now");
    /// assert!(matches!(queue.try_get().await, Err(Error::Empty))); // not due yet
    /// assert_eq!(queue.unfinished().await?, 2);
    /// assert_eq!(*queue.get().await?, "later"); // waits until it is due
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put_after(&self, delay: Duration, item: T) -> Result<(), PutError<T>> {
        match encode(&item, 0) {
            Ok(payload) => self.put_delayed(Due::after(delay), payload, item).await,
            Err(err) => Err(PutError::new(err, item)),
        }
    }

    /// Puts `item` in the queue at the wall-clock time `when`, as
    /// [`put_after`](Self::put_after) does after a delay: asyncio's
    /// `call_at` for a queue.
    ///
    /// `when` is read on the caller's clock, and the item is due when the
    /// Redis server's clock reaches it: a skew between the two moves the
    /// delivery by as much (use `put_after` when only the delay matters). A
    /// time in the past means due now.
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
    /// # use async_kit_redis::{Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "at").await?;
    /// let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    /// queue.put_at(an_hour_ago, 1).await.map_err(|err| err.into_parts().0)?;
    /// assert_eq!(*queue.try_get().await?, 1); // in the past: due now
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put_at(&self, when: SystemTime, item: T) -> Result<(), PutError<T>> {
        match encode(&item, 0) {
            Ok(payload) => self.put_delayed(Due::at(when), payload, item).await,
            Err(err) => Err(PutError::new(err, item)),
        }
    }

    /// Runs the delayed put script for the encoded `payload` (with its
    /// priority, on a priority queue); `item` is what an error hands back.
    async fn put_delayed<U>(&self, due: Due, payload: Payload, item: U) -> Result<(), PutError<U>> {
        let (mode, millis) = match due {
            Due::After(millis) => ("after", millis),
            Due::At(millis) => ("at", millis),
        };
        let inner = &*self.inner;
        let added: Result<i64, _> = scripts::DELAY
            .key(&inner.delayed)
            .key(&inner.shutdown_key)
            .key(&inner.waiting_getters)
            .key(&inner.delayed_seq)
            .arg(mode)
            .arg(&inner.channel)
            .arg(millis)
            .arg(payload.json)
            .arg(inner.priority.as_ref().map(|_| payload.priority))
            .invoke_async(&mut inner.manager.clone())
            .await;
        match added {
            Ok(1) => Ok(()),
            Ok(_) => Err(PutError::new(Error::ShutDown, item)),
            Err(err) => Err(PutError::new(Error::from_redis(err), item)),
        }
    }

    /// Puts every item of `items`, in order, in as few round trips as the
    /// capacity allows: each run of the put script adds as many as there is
    /// room for, and the rest wait for space.
    ///
    /// On an error the items not yet put are handed back, in order (after
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
    /// # use async_kit_redis::{Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "batch").await?;
    /// queue.put_many(1..=100).await.map_err(|err| err.into_parts().0)?;
    /// let batch = queue.get_many(10).await?;
    /// assert_eq!(batch.len(), 10);
    /// let ids: Vec<&str> = batch.iter().map(|d| d.as_ref().unwrap().id()).collect();
    /// assert_eq!(queue.task_done_many(&ids).await?, 10);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn put_many<I>(&self, items: I) -> Result<(), PutError<Vec<T>>>
    where
        I: IntoIterator<Item = T>,
    {
        let items: Vec<T> = items.into_iter().collect();
        match items.iter().map(|item| encode(item, 0)).collect() {
            Ok(payloads) => self.put_all(payloads, items).await,
            Err(err) => Err(PutError::new(err, items)),
        }
    }

    /// Puts every payload of `payloads`, in order, waiting for room;
    /// `items[i]` is what an error hands back for `payloads[i]`.
    async fn put_all<U>(
        &self,
        payloads: Vec<Payload>,
        items: Vec<U>,
    ) -> Result<(), PutError<Vec<U>>> {
        let mut done = 0;
        while done < payloads.len() {
            let notified = self.inner.events.space.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let end = payloads.len().min(done + MAX_BATCH);
            match self.put_payloads(&payloads[done..end], true).await {
                Ok(0) => self.wait(notified).await,
                Ok(added) => done += added,
                Err(err) => return Err(PutError::new(err, items.into_iter().skip(done).collect())),
            }
        }
        Ok(())
    }

    /// Runs the put script (the priority queue's, for one): the number of
    /// payloads added. With `wait`, a put that finds no room registers as a
    /// waiting putter.
    async fn put_payloads(&self, payloads: &[Payload], wait: bool) -> Result<usize, Error> {
        let inner = &*self.inner;
        let (mut invocation, set) = match &inner.priority {
            None => (scripts::PUT.prepare_invoke(), &inner.delayed),
            Some(priority) => (scripts::PRIORITY_PUT.prepare_invoke(), &priority.set),
        };
        invocation
            .key(&inner.stream)
            .key(&inner.shutdown_key)
            .key(&inner.waiting_getters)
            .key(&inner.waiting_putters)
            .key(set)
            .arg(GROUP)
            .arg(&inner.channel)
            .arg(inner.capacity.unwrap_or(0))
            .arg(flag(wait))
            .arg(self.registration_millis());
        match &inner.priority {
            None => {
                for payload in payloads {
                    invocation.arg(payload.json.as_slice());
                }
            }
            Some(priority) => {
                invocation.key(&priority.seq).key(&inner.delayed);
                for payload in payloads {
                    invocation
                        .arg(payload.priority)
                        .arg(payload.json.as_slice());
                }
            }
        }
        let added: i64 = invocation
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)?;
        usize::try_from(added).map_err(|_| Error::ShutDown)
    }

    /// Takes the first waiting item (or one whose lease expired with
    /// another consumer), waiting until one is put or a delayed item is due.
    ///
    /// After [`shutdown`](Self::shutdown) it drains what is left, delayed
    /// items included (waiting until they are due), then fails with
    /// [`Error::ShutDown`]. An entry whose bytes do not decode fails
    /// with [`Error::Decode`], holding the entry's id and raw bytes; the
    /// entry stays delivered to this handle, so acknowledge it with
    /// [`task_done`](Self::task_done) once dealt with (else it is delivered
    /// again after its lease). Other items are not affected.
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits takes nothing. Cancelling while its script
    /// is in flight may deliver an item nobody receives: it is not lost, but
    /// comes back to a get after the visibility timeout.
    ///
    /// # Examples
    ///
    /// See [`Delivery`].
    pub async fn get(&self) -> Result<Delivery<T>, Error> {
        loop {
            let notified = self.inner.events.items.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let later = match self.take_one(true).await? {
                One::Got(delivery) => return delivery,
                One::Nothing(later) => later,
            };
            // Nothing waiting: a put anywhere publishes an event; a dead
            // consumer's items come due only when their lease expires, a
            // delayed item when its time comes.
            self.wait_at_most(notified, later).await;
        }
    }

    /// Takes the first waiting item without waiting: [`Error::Empty`] if
    /// there is none, else as [`get`](Self::get).
    ///
    /// # Cancel safety
    ///
    /// As [`get`](Self::get) while its script is in flight.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Error, Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u8> = RedisQueue::open(&redis, "try-get").await?;
    /// assert!(matches!(queue.try_get().await, Err(Error::Empty)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_get(&self) -> Result<Delivery<T>, Error> {
        match self.take_one(false).await? {
            One::Got(delivery) => delivery,
            One::Nothing(_) => Err(Error::Empty),
        }
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
    /// See [`DeliveryGuard`].
    pub async fn get_guarded(&self) -> Result<DeliveryGuard<T>, Error> {
        let delivery = self.get().await?;
        Ok(DeliveryGuard {
            queue: self.clone(),
            delivery: Some(delivery),
        })
    }

    /// Takes up to `max` items in one round trip, waiting until there is at
    /// least one (for `max == 0`, returns an empty batch at once).
    ///
    /// Fails as [`get`](Self::get) does, except that an entry that does not
    /// decode is one `Err` in the batch, holding its id and raw bytes, and
    /// does not affect the others.
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
        if max == 0 {
            return Ok(Vec::new());
        }
        loop {
            let notified = self.inner.events.items.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let later = match self.take(max.min(MAX_BATCH), true).await? {
                Taken::ShutDown => return Err(Error::ShutDown),
                Taken::Entries(entries) if !entries.is_empty() => {
                    return Ok(entries
                        .into_iter()
                        .map(|(id, raw)| decode(id, raw))
                        .collect());
                }
                Taken::Entries(_) => None,
                Taken::Later(later) => Some(later),
            };
            self.wait_at_most(notified, later).await;
        }
    }

    /// Waits for `notified` (enabled before the script that registered the
    /// caller ran), or for the re-check period: the caller then looks
    /// again, which renews its registration (it lives twice as long) and
    /// finds entries whose lease expired meanwhile.
    async fn wait(&self, notified: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>) {
        self.wait_at_most(notified, None).await;
    }

    /// Waits as [`wait`](Self::wait) does, but no longer than `later` (when
    /// the earliest delayed item is due).
    async fn wait_at_most(
        &self,
        notified: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>,
        later: Option<Duration>,
    ) {
        let period = later.map_or(self.recheck(), |later| later.min(self.recheck()));
        let _ = tokio::time::timeout(period, notified).await;
    }

    /// How often a waiter looks again by itself: the visibility timeout, at
    /// most [`RECHECK`]. Short enough that the marker of the last waiter
    /// expires soon after it stops waiting, so a busy queue nobody waits on
    /// publishes nothing.
    fn recheck(&self) -> Duration {
        self.inner.visibility_timeout.min(RECHECK)
    }

    /// How long a waiter's registration lives: twice its re-check period.
    fn registration_millis(&self) -> u64 {
        lease_millis(self.recheck().saturating_mul(2))
    }

    /// One run of the get script for one item.
    async fn take_one(&self, wait: bool) -> Result<One<T>, Error> {
        Ok(match self.take(1, wait).await? {
            Taken::ShutDown => One::Got(Err(Error::ShutDown)),
            Taken::Later(later) => One::Nothing(Some(later)),
            Taken::Entries(entries) => match entries.into_iter().next() {
                Some((id, raw)) => One::Got(decode(id, raw).map_err(Error::from)),
                None => One::Nothing(None),
            },
        })
    }

    /// A priority queue's set of waiting items, the extra key of its
    /// scripts; `None` (no key) for a FIFO queue.
    fn priority_set(&self) -> Option<&str> {
        self.inner
            .priority
            .as_ref()
            .map(|priority| priority.set.as_str())
    }

    /// A priority queue's counter numbering its members; `None` for a FIFO
    /// queue.
    fn priority_seq(&self) -> Option<&str> {
        self.inner
            .priority
            .as_ref()
            .map(|priority| priority.seq.as_str())
    }

    /// Whether this get should look for expired leases before new entries:
    /// once every quarter of the visibility timeout.
    fn claim_due(&self) -> bool {
        let inner = &*self.inner;
        let now = lease_millis(inner.opened.elapsed());
        let every = lease_millis(inner.visibility_timeout / 4);
        let last = inner.last_claim_ms.load(Ordering::Relaxed);
        // Relaxed: a stale read only moves one claim-first get earlier or
        // later; the compare-exchange makes one get of the handle win.
        now.saturating_sub(last) >= every
            && inner
                .last_claim_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Runs the get script for up to `count` entries. With `wait`, a get
    /// that finds none registers as a waiting getter.
    async fn take(&self, count: usize, wait: bool) -> Result<Taken, Error> {
        let inner = &*self.inner;
        let reply: Vec<Vec<u8>> = scripts::GET
            .key(&inner.stream)
            .key(&inner.shutdown_key)
            .key(&inner.waiting_putters)
            .key(&inner.waiting_getters)
            .key(&inner.delayed)
            .key(self.priority_set())
            .key(self.priority_seq())
            .arg(GROUP)
            .arg(&inner.channel)
            .arg(&inner.consumer)
            .arg(count)
            .arg(lease_millis(inner.visibility_timeout))
            .arg(flag(self.claim_due()))
            .arg(flag(wait))
            .arg(self.registration_millis())
            .arg(inner.capacity.unwrap_or(0))
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)?;
        let mut reply = reply.into_iter();
        match reply.next().as_deref() {
            Some(b"ok") => {}
            Some(b"wait") => {
                let millis = reply
                    .next()
                    .and_then(|ms| String::from_utf8(ms).ok()?.parse().ok())
                    .unwrap_or(1);
                return Ok(Taken::Later(Duration::from_millis(millis)));
            }
            _ => return Ok(Taken::ShutDown),
        }
        let mut entries = Vec::with_capacity(reply.len() / 2);
        while let (Some(id), Some(raw)) = (reply.next(), reply.next()) {
            entries.push((String::from_utf8_lossy(&id).into_owned(), raw));
        }
        Ok(Taken::Entries(entries))
    }

    /// Acknowledges the delivered item `id`: it is finished and removed from
    /// Redis. Returns `true` if this call acknowledged it, `false` if it was
    /// not pending (already acknowledged, by this or another consumer that
    /// received it after a lease expired, or never delivered).
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the acknowledgement may or may not have reached Redis;
    /// calling it again is harmless.
    ///
    /// # Examples
    ///
    /// See [`Delivery`].
    pub async fn task_done(&self, id: &str) -> Result<bool, Error> {
        let inner = &*self.inner;
        let acked: u64 = scripts::ACK
            .key(&inner.stream)
            .key(&inner.waiting_joiners)
            .key(&inner.delayed)
            .key(self.priority_set())
            .arg(GROUP)
            .arg(&inner.channel)
            .arg(id)
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)?;
        Ok(acked == 1)
    }

    /// Acknowledges the delivered items `ids` in one round trip, as
    /// [`task_done`](Self::task_done) does for one; returns how many were
    /// acknowledged by this call.
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
        let inner = &*self.inner;
        let mut acked = 0;
        for chunk in ids.chunks(MAX_BATCH) {
            let mut invocation = scripts::ACK.prepare_invoke();
            invocation
                .key(&inner.stream)
                .key(&inner.waiting_joiners)
                .key(&inner.delayed)
                .key(self.priority_set())
                .arg(GROUP)
                .arg(&inner.channel);
            for id in chunk {
                invocation.arg(*id);
            }
            let n: usize = invocation
                .invoke_async(&mut inner.manager.clone())
                .await
                .map_err(Error::from_redis)?;
            acked += n;
        }
        Ok(acked)
    }

    /// Restarts the lease of the delivered item `id`, for work that takes
    /// longer than the visibility timeout. Returns `false` if this handle no
    /// longer holds it (acknowledged, or redelivered to another consumer
    /// after the lease expired: stop, someone else does the work now).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: the lease is restarted or not, and
    /// calling it again is harmless.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "long-work").await?;
    /// queue.put(1).await.map_err(|err| err.into_parts().0)?;
    /// let job = queue.get().await?;
    /// assert!(queue.extend_lease(job.id()).await?); // still ours
    /// queue.task_done(job.id()).await?;
    /// assert!(!queue.extend_lease(job.id()).await?); // finished
    /// # Ok(())
    /// # }
    /// ```
    pub async fn extend_lease(&self, id: &str) -> Result<bool, Error> {
        let inner = &*self.inner;
        let held: u64 = scripts::EXTEND
            .key(&inner.stream)
            .arg(GROUP)
            .arg(&inner.channel)
            .arg(&inner.consumer)
            .arg(id)
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)?;
        Ok(held == 1)
    }

    /// Waits until every item put by any process has been acknowledged (the
    /// queue holds no unfinished item, delayed items included).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it changes nothing in Redis.
    ///
    /// # Examples
    ///
    /// See [`DeliveryGuard`].
    pub async fn join(&self) -> Result<(), Error> {
        loop {
            let notified = self.inner.events.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.count_unfinished(true).await? == 0 {
                return Ok(());
            }
            self.wait(notified).await;
        }
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
    /// # use async_kit_redis::{Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "unfinished").await?;
    /// queue.put(1).await.map_err(|err| err.into_parts().0)?;
    /// let _job = queue.get().await?;
    /// assert_eq!((queue.len().await?, queue.unfinished().await?), (0, 1));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn unfinished(&self) -> Result<usize, Error> {
        self.count_unfinished(false).await
    }

    /// The unfinished count; with `join`, registers as a joiner when it is
    /// not zero.
    async fn count_unfinished(&self, join: bool) -> Result<usize, Error> {
        let inner = &*self.inner;
        scripts::UNFINISHED
            .key(&inner.stream)
            .key(&inner.waiting_joiners)
            .key(&inner.delayed)
            .key(self.priority_set())
            .arg(flag(join))
            .arg(self.registration_millis())
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)
    }

    /// Returns the number of waiting items (put, not yet got), across all
    /// processes. Delayed items count once they are due and the capacity
    /// leaves them room: puts and gets of any process move them into the
    /// queue.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// See [`put`](Self::put).
    pub async fn len(&self) -> Result<usize, Error> {
        let inner = &*self.inner;
        scripts::LEN
            .key(&inner.stream)
            .key(&inner.delayed)
            .key(self.priority_set())
            .arg(GROUP)
            .arg(inner.capacity.unwrap_or(0))
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)
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
    /// # use async_kit_redis::{Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "empty").await?;
    /// assert!(queue.is_empty().await?);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.len().await? == 0)
    }

    /// Returns the capacity this handle enforces, `None` if unbounded.
    ///
    /// # Examples
    ///
    /// See [`RedisQueueBuilder`].
    pub fn capacity(&self) -> Option<usize> {
        self.inner.capacity
    }

    /// Returns the queue's name.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "jobs").await?;
    /// assert_eq!(queue.name(), "jobs");
    /// # Ok(())
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Shuts the queue down for every process: puts fail with
    /// [`Error::ShutDown`] (handing their item back), gets drain what is
    /// waiting and the delayed items as they come due, and then fail. Items
    /// already delivered can still be acknowledged, and [`join`](Self::join)
    /// still waits for them. Returns `true` if this call shut it down,
    /// `false` if it already was.
    ///
    /// The flag stays in Redis: a queue shut down stays so for handles
    /// opened later.
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the shutdown may or may not have happened.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Error, Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "closing").await?;
    /// queue.put(1).await.map_err(|err| err.into_parts().0)?;
    /// assert!(queue.shutdown().await?);
    /// assert_eq!(*queue.get().await?, 1); // drained
    /// assert!(matches!(queue.get().await, Err(Error::ShutDown)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self) -> Result<bool, Error> {
        let (was, _) = self.run_shutdown(false).await?;
        Ok(!was)
    }

    /// Shuts the queue down as [`shutdown`](Self::shutdown) does, and takes
    /// every waiting item out of it, then every delayed item in due order
    /// (they count as finished for [`join`](Self::join)), handing them
    /// back. An entry that does not decode is handed back as its
    /// [`DecodeError`], raw bytes included (a delayed item's id is its
    /// sequence number in the delayed set, empty for a member that is not
    /// in the queue's format).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: if cancelled while its script is in flight, the
    /// waiting and delayed items are removed from Redis and lost.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "stop-now").await?;
    /// queue.put(1).await.map_err(|err| err.into_parts().0)?;
    /// let left: Vec<u32> = queue.shutdown_immediate().await?.into_iter().map(Result::unwrap).collect();
    /// assert_eq!(left, [1]);
    /// queue.join().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown_immediate(&self) -> Result<Vec<Result<T, DecodeError>>, Error> {
        let (_, entries) = self.run_shutdown(true).await?;
        Ok(entries
            .into_iter()
            .map(|(id, raw)| decode::<T>(id, raw).map(Delivery::into_inner))
            .collect())
    }

    async fn run_shutdown(&self, immediate: bool) -> Result<(bool, Vec<(String, Vec<u8>)>), Error> {
        let inner = &*self.inner;
        let reply: Vec<Vec<u8>> = scripts::SHUTDOWN
            .key(&inner.stream)
            .key(&inner.shutdown_key)
            .key(&inner.delayed)
            .key(self.priority_set())
            .arg(GROUP)
            .arg(&inner.channel)
            .arg(if immediate { "1" } else { "0" })
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)?;
        let mut reply = reply.into_iter();
        let was = reply.next().as_deref() == Some(b"1");
        let mut entries = Vec::new();
        while let (Some(id), Some(raw)) = (reply.next(), reply.next()) {
            entries.push((String::from_utf8_lossy(&id).into_owned(), raw));
        }
        Ok((was, entries))
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
        redis::cmd("EXISTS")
            .arg(&self.inner.shutdown_key)
            .query_async(&mut self.inner.manager.clone())
            .await
            .map_err(Error::from_redis)
    }

    /// Clears the shutdown flag that any process's [`shutdown`](Self::shutdown)
    /// left in Redis, so that puts are accepted again and gets wait for
    /// items again. Returns `true` if the queue was shut down.
    ///
    /// For the next run of a producer/consumer program on a queue an
    /// earlier run shut down. Calls that already failed with
    /// [`Error::ShutDown`] stay failed; a getter of an earlier run that is
    /// still draining the queue waits for new items instead of ending, so
    /// reopen once the old run's consumers have gone, or use another name.
    /// Nothing else changes: waiting, delivered and delayed items stay as
    /// they are.
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the flag may or may not have been cleared (one
    /// command); calling it again is harmless.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Error, Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "nightly").await?;
    /// queue.shutdown().await?;
    /// assert!(matches!(queue.put(1).await.map_err(|e| e.into_parts().0), Err(Error::ShutDown)));
    /// // The next night's run:
    /// assert!(queue.reopen().await?);
    /// queue.put(1).await.map_err(|err| err.into_parts().0)?;
    /// assert!(!queue.reopen().await?, "it was open");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reopen(&self) -> Result<bool, Error> {
        redis::cmd("DEL")
            .arg(&self.inner.shutdown_key)
            .query_async(&mut self.inner.manager.clone())
            .await
            .map_err(Error::from_redis)
    }
}

/// What one get script run for one item gave: the item (or why not), or
/// nothing now (and when the earliest delayed item is due, if any).
enum One<T> {
    Got(Result<Delivery<T>, Error>),
    Nothing(Option<Duration>),
}

/// An encoded item and its priority (0, unused, for a FIFO queue).
struct Payload {
    priority: i64,
    json: Vec<u8>,
}

/// Encodes `item` with `priority`.
fn encode<T: Serialize>(item: &T, priority: i64) -> Result<Payload, Error> {
    match serde_json::to_vec(item) {
        Ok(json) => Ok(Payload { priority, json }),
        Err(err) => Err(Error::Encode(err)),
    }
}

/// Decodes one entry's bytes, keeping them in the error if they are not an
/// item.
fn decode<T: DeserializeOwned>(id: String, raw: Vec<u8>) -> Result<Delivery<T>, DecodeError> {
    match serde_json::from_slice(&raw) {
        Ok(item) => Ok(Delivery { id, item }),
        Err(err) => Err(DecodeError::new(id, raw, err)),
    }
}

/// The longest a waiter waits for an event before it looks again.
const RECHECK: Duration = Duration::from_secs(5);

/// A script's yes/no argument.
fn flag(yes: bool) -> &'static str {
    if yes { "1" } else { "0" }
}

fn lease_millis(lease: Duration) -> u64 {
    u64::try_from(lease.as_millis()).unwrap_or(u64::MAX)
}

impl<T> Clone for RedisQueue<T> {
    fn clone(&self) -> Self {
        RedisQueue {
            inner: Arc::clone(&self.inner),
            _items: PhantomData,
        }
    }
}

impl<T> fmt::Debug for RedisQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisQueue")
            .field("name", &self.inner.name)
            .field("url", &self.inner.redis.url())
            .field("capacity", &self.inner.capacity)
            .field("visibility_timeout", &self.inner.visibility_timeout)
            .finish_non_exhaustive()
    }
}
