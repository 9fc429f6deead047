//! `RedisKeyedLimiter`: one limit per key (per host), on the limiter's
//! machinery with one holders set per key.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use super::{RedisLimiter, RedisPermit};
use crate::{Error, Redis};

/// A concurrency limit per key — per host, per tenant — shared by every
/// process that opens the same name: [`async_kit::KeyedLimiter`] across
/// replicas.
///
/// Each key gets the same limit ([`set_limit`](Self::set_limit) changes it
/// for all keys and processes) and its own slots, leased and renewed as
/// [`RedisLimiter`]'s are. A key nobody holds has **no key in Redis**: its
/// holders set is deleted when its last slot is released, and expires with
/// its last lease when its last holder died.
///
/// Waiters for every key of a name share one pub/sub channel: a release
/// wakes the waiters of all keys in each process, which look again (one
/// round trip each) and wait on if their key is still full. That keeps one
/// subscription per handle however many keys pass, at the price of extra
/// looks when many keys are contended at once.
///
/// # Layout in Redis
///
/// The sorted set `ak:l:{NAME}:h:KEY` per key held (as
/// [`RedisLimiter`]'s holders set), the limit `ak:l:{NAME}:limit` and the
/// channel `ak:l:{NAME}:ev`. A keyed and an unkeyed limiter of the same name
/// share the limit and the channel, not the slots.
///
/// # Examples
///
/// ```no_run
/// use async_kit_redis::{Redis, RedisKeyedLimiter};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// // At most 2 requests at once to each host, across every replica.
/// let per_host = RedisKeyedLimiter::open(&redis, "hosts", 2).await?;
/// let a = per_host.acquire("a.example").await?;
/// let b = per_host.acquire("b.example").await?;
/// assert_eq!(per_host.in_use("a.example").await?, 1);
/// drop((a, b));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisKeyedLimiter {
    limiter: RedisLimiter,
}

impl RedisKeyedLimiter {
    pub(super) fn new(limiter: RedisLimiter) -> Self {
        RedisKeyedLimiter { limiter }
    }

    /// Opens the keyed limiter `name` allowing `limit` holders per key (if
    /// no process set its limit yet), with the default lease of ten seconds.
    /// [`RedisLimiter::builder`] then
    /// [`open_keyed`](super::RedisLimiterBuilder::open_keyed) sets the lease.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it takes no slot.
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
    /// let per_host = RedisLimiter::builder("hosts", 4)
    ///     .lease(Duration::from_secs(2))
    ///     .open_keyed(&redis)
    ///     .await?;
    /// assert_eq!(per_host.limit().await?, 4);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(redis: &Redis, name: &str, limit: usize) -> Result<Self, Error> {
        RedisLimiter::builder(name, limit).open_keyed(redis).await
    }

    /// Waits for a free slot of `key` and takes it: uncontended, one round
    /// trip.
    ///
    /// # Cancel safety
    ///
    /// Cancelling leaves nothing in Redis: a slot taken by the script in
    /// flight is released.
    ///
    /// # Examples
    ///
    /// See [`RedisKeyedLimiter`].
    pub async fn acquire(&self, key: &str) -> Result<RedisPermit, Error> {
        self.limiter.acquire_in(&self.limiter.holders_of(key)).await
    }

    /// Takes a free slot of `key` if there is one now: [`Error::NoSlot`] if
    /// not.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: a slot taken by a cancelled call is
    /// released.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Error, Redis, RedisKeyedLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let per_host = RedisKeyedLimiter::open(&redis, "try-hosts", 1).await?;
    /// let _held = per_host.try_acquire("a.example").await?;
    /// assert!(matches!(per_host.try_acquire("a.example").await, Err(Error::NoSlot)));
    /// assert!(per_host.try_acquire("b.example").await.is_ok());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn try_acquire(&self, key: &str) -> Result<RedisPermit, Error> {
        self.limiter
            .try_take(&self.limiter.holders_of(key))
            .await?
            .ok_or(Error::NoSlot)
    }

    /// Waits at most `timeout` for a slot of `key`: [`Error::Elapsed`] if
    /// none freed in time, leaving nothing in Redis.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use async_kit_redis::{Error, Redis, RedisKeyedLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let per_host = RedisKeyedLimiter::open(&redis, "timeout-hosts", 1).await?;
    /// let _held = per_host.acquire("a.example").await?;
    /// let err = per_host
    ///     .acquire_timeout("a.example", Duration::from_millis(50))
    ///     .await
    ///     .unwrap_err();
    /// assert!(matches!(err, Error::Elapsed(_)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn acquire_timeout(
        &self,
        key: &str,
        timeout: Duration,
    ) -> Result<RedisPermit, Error> {
        tokio::time::timeout(timeout, self.acquire(key))
            .await
            .map_err(Error::Elapsed)?
    }

    /// Runs `fut` holding a slot of `key`, released when it finishes (or is
    /// cancelled).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe only if `fut` is; the slot is released
    /// either way.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisKeyedLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let per_host = RedisKeyedLimiter::open(&redis, "run-hosts", 3).await?;
    /// let body = per_host.run("a.example", async { "ok" }).await?;
    /// assert_eq!(body, "ok");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run<F: Future>(&self, key: &str, fut: F) -> Result<F::Output, Error> {
        let permit = self.acquire(key).await?;
        let output = fut.await;
        drop(permit);
        Ok(output)
    }

    /// Changes the limit of every key, for every process; see
    /// [`RedisLimiter::set_limit`].
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the change may or may not have reached Redis.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisKeyedLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let per_host = RedisKeyedLimiter::open(&redis, "resizable-hosts", 2).await?;
    /// per_host.set_limit(5).await?;
    /// assert_eq!(per_host.limit().await?, 5);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_limit(&self, limit: usize) -> Result<(), Error> {
        self.limiter.set_limit(limit).await
    }

    /// Returns the limit of each key.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// See [`set_limit`](Self::set_limit).
    pub async fn limit(&self) -> Result<usize, Error> {
        self.limiter.limit().await
    }

    /// Returns the number of slots of `key` held now by any process.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads.
    ///
    /// # Examples
    ///
    /// See [`RedisKeyedLimiter`].
    pub async fn in_use(&self, key: &str) -> Result<usize, Error> {
        self.limiter.in_use_in(&self.limiter.holders_of(key)).await
    }

    /// Returns the limiter's name.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisKeyedLimiter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let per_host = RedisKeyedLimiter::open(&redis, "hosts", 2).await?;
    /// assert_eq!(per_host.name(), "hosts");
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        self.limiter.name()
    }
}

impl fmt::Debug for RedisKeyedLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisKeyedLimiter")
            .field("limiter", &self.limiter)
            .finish()
    }
}
