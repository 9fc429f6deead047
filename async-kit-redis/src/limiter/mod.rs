//! `RedisLimiter`: one concurrency limit for every process, on a Redis
//! sorted set of leased slots.

mod keyed;
mod permit;
mod scripts;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionManager;

pub use keyed::RedisKeyedLimiter;
pub use permit::RedisPermit;

use crate::events::{self, Events, Listener};
use crate::{Error, Redis};

/// The lease of a slot unless the builder says otherwise.
const DEFAULT_LEASE: Duration = Duration::from_secs(10);

/// A concurrency limit shared by every process that opens the same name on
/// the same Redis server: `asyncio.Semaphore` across replicas, with the
/// verbs of [`async_kit::Limiter`].
///
/// A slot is a *lease*: the [`RedisPermit`] renews it in the background
/// (every third of the [lease](RedisLimiterBuilder::lease)) while it is
/// held, and releases it when dropped. If the holding process dies, its
/// slot frees itself when the lease expires, at most one lease later.
/// Waiters are woken by the release's pub/sub event (and look again once
/// per lease, since a death publishes nothing); they then race for the
/// slot, so the order among waiters of different processes is not
/// guaranteed first come, first served.
///
/// An acquire that is cancelled or times out leaves nothing in Redis: a
/// slot taken by a script whose reply never reached a waiter is released
/// again.
///
/// # Layout in Redis
///
/// The sorted set `ak:l:{NAME}:holders` (one member per permit, scored by
/// the server time in ms at which its lease expires; absent when nobody
/// holds a slot), the limit `ak:l:{NAME}:limit` and the channel
/// `ak:l:{NAME}:ev`.
///
/// # Examples
///
/// ```no_run
/// use async_kit_redis::{Redis, RedisLimiter};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// // At most 5 requests at once to this server, across every replica.
/// let per_server = RedisLimiter::open(&redis, "api.example", 5).await?;
/// let answer = per_server.run(async { 42 }).await?;
/// assert_eq!(answer, 42);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    redis: Redis,
    manager: ConnectionManager,
    name: String,
    prefix: String,
    holders: Arc<str>,
    limit_key: String,
    channel: String,
    default_limit: usize,
    lease: Duration,
    events: Arc<Events>,
    _listener: Listener,
}

/// Configures and opens a [`RedisLimiter`]: the limit and the lease.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use async_kit_redis::{Redis, RedisLimiter};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// let limiter = RedisLimiter::builder("db", 8)
///     .lease(Duration::from_secs(2))
///     .open(&redis)
///     .await?;
/// assert_eq!(limiter.limit().await?, 8);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `open` is awaited"]
pub struct RedisLimiterBuilder {
    name: String,
    limit: usize,
    lease: Duration,
}

impl RedisLimiterBuilder {
    /// Sets the lease of a slot: a holder that stops renewing (its process
    /// died) loses the slot this long after its last renewal. Ten seconds
    /// unless set; at least three milliseconds.
    ///
    /// # Examples
    ///
    /// See [`RedisLimiterBuilder`].
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(3));
        self
    }

    /// Opens the limiter on `redis` and subscribes to its events. The first
    /// process to open a name sets its limit; later opens keep the limit in
    /// Redis ([`set_limit`](RedisLimiter::set_limit) changes it for all).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it takes no slot.
    ///
    /// # Examples
    ///
    /// See [`RedisLimiterBuilder`].
    pub async fn open(self, redis: &Redis) -> Result<RedisLimiter, Error> {
        let prefix = format!("ak:l:{{{}}}", self.name);
        let limit_key = format!("{prefix}:limit");
        let mut manager = redis.manager();
        redis::cmd("SET")
            .arg(&limit_key)
            .arg(self.limit)
            .arg("NX")
            .query_async::<()>(&mut manager)
            .await
            .map_err(Error::from_redis)?;
        let channel = format!("{prefix}:ev");
        let events = Arc::new(Events::default());
        let listener =
            events::subscribe(redis.client(), redis.url(), channel.clone(), &events).await?;
        Ok(RedisLimiter {
            inner: Arc::new(Inner {
                redis: redis.clone(),
                manager,
                holders: Arc::from(format!("{prefix}:holders")),
                prefix,
                limit_key,
                channel,
                default_limit: self.limit,
                lease: self.lease,
                name: self.name,
                events,
                _listener: listener,
            }),
        })
    }
}

impl RedisLimiterBuilder {
    /// Opens a [`RedisKeyedLimiter`] instead: the same limit and lease for
    /// each key.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it takes no slot.
    ///
    /// # Examples
    ///
    /// See [`RedisKeyedLimiter`].
    pub async fn open_keyed(self, redis: &Redis) -> Result<RedisKeyedLimiter, Error> {
        Ok(RedisKeyedLimiter::new(self.open(redis).await?))
    }
}

/// A token unique to one acquire: the process id, the time and a counter.
fn token() -> String {
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

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Releases `token` if the acquire that sent it is dropped before it knows
/// whether the slot was taken.
struct InFlight<'a> {
    limiter: &'a RedisLimiter,
    holders: &'a Arc<str>,
    token: Option<String>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            self.limiter
                .release_in_background(self.holders.clone(), token);
        }
    }
}

impl RedisLimiter {
    /// Opens the limiter `name` allowing `limit` holders at once (if no
    /// process set its limit yet), with the default lease of ten seconds.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, as [`RedisLimiterBuilder::open`].
    ///
    /// # Examples
    ///
    /// See [`RedisLimiter`].
    pub async fn open(redis: &Redis, name: &str, limit: usize) -> Result<RedisLimiter, Error> {
        RedisLimiter::builder(name, limit).open(redis).await
    }

    /// Returns a builder for the limiter `name` allowing `limit` holders.
    ///
    /// # Examples
    ///
    /// See [`RedisLimiterBuilder`].
    pub fn builder(name: &str, limit: usize) -> RedisLimiterBuilder {
        RedisLimiterBuilder {
            name: name.to_owned(),
            limit,
            lease: DEFAULT_LEASE,
        }
    }

    /// Waits for a free slot and takes it: uncontended, one round trip.
    ///
    /// # Cancel safety
    ///
    /// Cancelling makes you lose your place among the waiters, and leaves
    /// nothing in Redis: a slot taken by the script in flight is released.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let limiter = RedisLimiter::open(&redis, "acquire", 1).await?;
    /// let permit = limiter.acquire().await?;
    /// assert_eq!(limiter.in_use().await?, 1);
    /// permit.release().await?;
    /// assert_eq!(limiter.in_use().await?, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn acquire(&self) -> Result<RedisPermit, Error> {
        self.acquire_in(&self.inner.holders).await
    }

    /// `acquire` on the holders set `holders` (a keyed limiter's key).
    pub(crate) async fn acquire_in(&self, holders: &Arc<str>) -> Result<RedisPermit, Error> {
        loop {
            let notified = self.inner.events.space.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(permit) = self.try_take(holders).await? {
                return Ok(permit);
            }
            // A release publishes an event; a dead holder's slot frees only
            // when its lease expires, which publishes nothing.
            let _ = tokio::time::timeout(self.inner.lease, notified).await;
        }
    }

    /// Takes a free slot if there is one now: [`Error::NoSlot`] if not.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: a slot taken by a cancelled call is
    /// released.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Error, Redis, RedisLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let limiter = RedisLimiter::open(&redis, "try", 1).await?;
    /// let _held = limiter.try_acquire().await?;
    /// assert!(matches!(limiter.try_acquire().await, Err(Error::NoSlot)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_acquire(&self) -> Result<RedisPermit, Error> {
        self.try_take(&self.inner.holders)
            .await?
            .ok_or(Error::NoSlot)
    }

    /// Waits at most `timeout` for a slot: [`Error::Elapsed`] if none
    /// freed in time, leaving nothing in Redis.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use async_kit_redis::{Error, Redis, RedisLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let limiter = RedisLimiter::open(&redis, "timeout", 1).await?;
    /// let _held = limiter.acquire().await?;
    /// let err = limiter.acquire_timeout(Duration::from_millis(50)).await.unwrap_err();
    /// assert!(matches!(err, Error::Elapsed(_)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn acquire_timeout(&self, timeout: Duration) -> Result<RedisPermit, Error> {
        tokio::time::timeout(timeout, self.acquire())
            .await
            .map_err(Error::Elapsed)?
    }

    /// Runs `fut` holding a slot, released when it finishes (or is
    /// cancelled).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe only if `fut` is; the slot is released
    /// either way.
    ///
    /// # Examples
    ///
    /// See [`RedisLimiter`].
    pub async fn run<F: Future>(&self, fut: F) -> Result<F::Output, Error> {
        let permit = self.acquire().await?;
        let output = fut.await;
        drop(permit);
        Ok(output)
    }

    /// Changes the limit for every process. Growing it wakes waiters at
    /// once; shrinking it takes no slot away: holders over the new limit
    /// keep theirs until they release.
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the change may or may not have reached Redis.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let limiter = RedisLimiter::open(&redis, "resizable", 2).await?;
    /// limiter.set_limit(4).await?;
    /// assert_eq!(limiter.limit().await?, 4);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_limit(&self, limit: usize) -> Result<(), Error> {
        let inner = &*self.inner;
        scripts::SET_LIMIT
            .key(&*inner.holders)
            .key(&inner.limit_key)
            .arg(limit)
            .arg(&inner.channel)
            .invoke_async::<()>(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)
    }

    /// Returns the limit shared by every process.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// See [`set_limit`](Self::set_limit).
    pub async fn limit(&self) -> Result<usize, Error> {
        let limit: Option<usize> = redis::cmd("GET")
            .arg(&self.inner.limit_key)
            .query_async(&mut self.inner.manager.clone())
            .await
            .map_err(Error::from_redis)?;
        Ok(limit.unwrap_or(self.inner.default_limit))
    }

    /// Returns the number of slots held now by any process (live leases).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// See [`acquire`](Self::acquire).
    pub async fn in_use(&self) -> Result<usize, Error> {
        self.in_use_in(&self.inner.holders).await
    }

    pub(crate) async fn in_use_in(&self, holders: &str) -> Result<usize, Error> {
        scripts::IN_USE
            .key(holders)
            .invoke_async(&mut self.inner.manager.clone())
            .await
            .map_err(Error::from_redis)
    }

    /// Returns the limiter's name.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let limiter = RedisLimiter::open(&redis, "db", 2).await?;
    /// assert_eq!(limiter.name(), "db");
    /// # Ok(())
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// One run of the acquire script; a cancelled run releases its token.
    pub(crate) async fn try_take(&self, holders: &Arc<str>) -> Result<Option<RedisPermit>, Error> {
        let inner = &*self.inner;
        let mut in_flight = InFlight {
            limiter: self,
            holders,
            token: Some(token()),
        };
        let token = in_flight.token.clone().expect("just set");
        let taken: u64 = scripts::ACQUIRE
            .key(&**holders)
            .key(&inner.limit_key)
            .arg(&token)
            .arg(millis(inner.lease))
            .arg(inner.default_limit)
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)?;
        // The reply arrived: from here the permit (or nothing) owns the token.
        in_flight.token = None;
        Ok((taken == 1).then(|| RedisPermit::new(self.clone(), holders.clone(), token)))
    }

    pub(crate) async fn release(&self, holders: &str, token: &str) -> Result<bool, Error> {
        let inner = &*self.inner;
        let held: u64 = scripts::RELEASE
            .key(holders)
            .arg(token)
            .arg(&inner.channel)
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)?;
        Ok(held == 1)
    }

    /// Releases `token` from a drop: in a task on the current runtime (with
    /// none, the lease expires by itself).
    pub(crate) fn release_in_background(&self, holders: Arc<str>, token: String) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let limiter = self.clone();
            runtime.spawn(async move {
                let _ = limiter.release(&holders, &token).await;
            });
        }
    }

    pub(crate) async fn renew(&self, holders: &str, token: &str) -> Result<bool, Error> {
        let inner = &*self.inner;
        let held: u64 = scripts::RENEW
            .key(holders)
            .arg(token)
            .arg(millis(inner.lease))
            .invoke_async(&mut inner.manager.clone())
            .await
            .map_err(Error::from_redis)?;
        Ok(held == 1)
    }

    pub(crate) fn lease(&self) -> Duration {
        self.inner.lease
    }

    /// The holders set of `key` in a keyed limiter.
    pub(crate) fn holders_of(&self, key: &str) -> Arc<str> {
        Arc::from(format!("{}:h:{key}", self.inner.prefix))
    }
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("name", &self.inner.name)
            .field("url", &self.inner.redis.url())
            .field("lease", &self.inner.lease)
            .finish_non_exhaustive()
    }
}

/// Runs a future holding a slot of a [`RedisLimiter`]:
/// `fut.limited(&limiter)`, as [`async_kit::LimitExt`] does in one process.
///
/// # Examples
///
/// ```no_run
/// use async_kit_redis::{Redis, RedisLimitExt, RedisLimiter};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// let limiter = RedisLimiter::open(&redis, "fetches", 3).await?;
/// let body = async { "ok" }.limited(&limiter).await?;
/// assert_eq!(body, "ok");
/// # Ok(())
/// # }
/// ```
pub trait RedisLimitExt: Future + Sized {
    /// Waits for a slot of `limiter`, then runs `self` holding it; the slot
    /// is released when `self` finishes or the returned future is dropped.
    ///
    /// # Cancel safety
    ///
    /// The returned future is cancel safe only if `self` is; the slot is
    /// released either way.
    ///
    /// # Examples
    ///
    /// See [`RedisLimitExt`].
    fn limited(self, limiter: &RedisLimiter) -> impl Future<Output = Result<Self::Output, Error>> {
        let limiter = limiter.clone();
        async move { limiter.run(self).await }
    }
}

impl<F: Future> RedisLimitExt for F {}
