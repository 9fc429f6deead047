//! The guard of a slot: renews its lease while held, releases on drop.

use std::fmt;
use std::sync::Arc;

use tokio::task::AbortHandle;

use super::RedisLimiter;
use crate::Error;

/// A slot of a [`RedisLimiter`], held until dropped or
/// [`release`](RedisPermit::release)d.
///
/// While it lives, a task renews its lease every third of the lease. If
/// renewal fails to reach Redis for a whole lease (the process stalled or
/// the connection stayed down), the slot expires and may be given to
/// another holder; [`is_held`](RedisPermit::is_held) tells.
///
/// Dropping it releases the slot in a task on the current tokio runtime
/// (without a runtime, the lease expires by itself).
///
/// # Examples
///
/// ```no_run
/// use async_kit_redis::{Redis, RedisLimiter};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// let limiter = RedisLimiter::open(&redis, "permits", 1).await?;
/// let permit = limiter.acquire().await?;
/// assert!(permit.is_held().await?);
/// drop(permit); // released for every process
/// # Ok(())
/// # }
/// ```
pub struct RedisPermit {
    limiter: RedisLimiter,
    holders: Arc<str>,
    token: Option<String>,
    renewal: AbortHandle,
}

impl RedisPermit {
    pub(crate) fn new(limiter: RedisLimiter, holders: Arc<str>, token: String) -> Self {
        let every = limiter.lease() / 3;
        let renewal = tokio::spawn({
            let limiter = limiter.clone();
            let holders = holders.clone();
            let token = token.clone();
            async move {
                let mut ticks = tokio::time::interval(every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    // A failed renewal is retried at the next tick; a lost
                    // slot ends the renewals.
                    if let Ok(false) = limiter.renew(&holders, &token).await {
                        return;
                    }
                }
            }
        })
        .abort_handle();
        RedisPermit {
            limiter,
            holders,
            token: Some(token),
            renewal,
        }
    }

    /// Returns `true` if this permit's slot is still held in Redis (its
    /// lease has not expired).
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only reads (it restarts the lease
    /// when it is still held).
    ///
    /// # Examples
    ///
    /// See [`RedisPermit`].
    pub async fn is_held(&self) -> Result<bool, Error> {
        self.limiter.renew(&self.holders, self.token()).await
    }

    /// Releases the slot now and reports the outcome; `Ok(false)` if the
    /// lease had already expired.
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the release still happens, in the background.
    ///
    /// # Examples
    ///
    /// See [`RedisLimiter::acquire`].
    pub async fn release(mut self) -> Result<bool, Error> {
        self.renewal.abort();
        let token = self.token.take().expect("a permit holds its token");
        let mut guard = ReleaseOnDrop {
            limiter: &self.limiter,
            holders: &self.holders,
            token: Some(token),
        };
        let result = self
            .limiter
            .release(&self.holders, guard.token.as_deref().expect("just set"))
            .await;
        guard.token = None;
        result
    }

    fn token(&self) -> &str {
        self.token.as_deref().expect("a permit holds its token")
    }
}

/// Releases in the background if a `release` call is dropped midway.
struct ReleaseOnDrop<'a> {
    limiter: &'a RedisLimiter,
    holders: &'a Arc<str>,
    token: Option<String>,
}

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            self.limiter
                .release_in_background(self.holders.clone(), token);
        }
    }
}

impl Drop for RedisPermit {
    fn drop(&mut self) {
        self.renewal.abort();
        if let Some(token) = self.token.take() {
            self.limiter
                .release_in_background(self.holders.clone(), token);
        }
    }
}

impl fmt::Debug for RedisPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisPermit")
            .field("limiter", &self.limiter.name())
            .finish_non_exhaustive()
    }
}
