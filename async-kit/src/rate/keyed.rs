use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use tokio::time::{Instant, sleep_until};

use super::clock::TokioClock;
use super::error::RateLimited;
use super::quota::Rate;

// The middleware is named, as in `limiter.rs`.
type Keyed<K> =
    governor::RateLimiter<K, HashMapStateStore<K>, TokioClock, NoOpMiddleware<std::time::Instant>>;

/// Sweeps never run more often than once per this many checks.
const MIN_SWEEP: usize = 1024;

/// One [`Rate`] per key (per host, per user), with bounded memory.
///
/// Each key gets its own limit, created on first use. A key whose limit is
/// back to its full burst is idle: it holds nothing a fresh key would not,
/// so it is dropped. Sweeps run after a number of checks that grows with
/// the number of live keys (at least 1024, at least twice the keys left by
/// the last sweep), so their cost is constant per check on average and the
/// map holds at most about three times the keys used within one burst's
/// refill time, plus 1024, however many keys pass over time (governor
/// keeps every key forever unless told to forget: its issue #171).
///
/// Clones share the limits.
///
/// # Fairness
///
/// As for [`RateLimiter`](super::RateLimiter): see the
/// [module docs](super#fairness).
///
/// # Examples
///
/// ```
/// use async_kit::rate::{KeyedRateLimiter, Rate};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let per_host = KeyedRateLimiter::new(Rate::per_second(1));
/// assert!(per_host.try_acquire(&"a.example").is_ok());
/// assert!(per_host.try_acquire(&"a.example").is_err());
/// assert!(per_host.try_acquire(&"b.example").is_ok());
/// # }
/// ```
pub struct KeyedRateLimiter<K: Hash + Eq + Clone> {
    inner: Arc<Shared<K>>,
}

struct Shared<K: Hash + Eq + Clone> {
    limiter: Keyed<K>,
    rate: Rate,
    // Checks since the last sweep, and how many trigger the next one.
    // Relaxed: they only pace the sweeps; the map has its own lock.
    checks: AtomicUsize,
    next_sweep: AtomicUsize,
}

impl<K: Hash + Eq + Clone> Clone for KeyedRateLimiter<K> {
    fn clone(&self) -> Self {
        KeyedRateLimiter {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K: Hash + Eq + Clone> KeyedRateLimiter<K> {
    /// Creates a keyed limiter that gives every key `rate`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{KeyedRateLimiter, Rate};
    ///
    /// let limiter: KeyedRateLimiter<String> = KeyedRateLimiter::new(Rate::per_second(5));
    /// assert!(limiter.is_empty());
    /// ```
    #[must_use]
    pub fn new(rate: Rate) -> Self {
        KeyedRateLimiter {
            inner: Arc::new(Shared {
                limiter: governor::RateLimiter::hashmap_with_clock(rate.quota, TokioClock),
                rate,
                checks: AtomicUsize::new(0),
                next_sweep: AtomicUsize::new(MIN_SWEEP),
            }),
        }
    }

    /// Takes a permit of `key`'s limit if one is free now, without waiting;
    /// otherwise says how long until the next.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{KeyedRateLimiter, Rate};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(Rate::per_second(2).burst(1));
    /// assert!(limiter.try_acquire(&1).is_ok());
    /// assert_eq!(limiter.try_acquire(&1).unwrap_err().wait().as_millis(), 500);
    /// # }
    /// ```
    pub fn try_acquire(&self, key: &K) -> Result<(), RateLimited> {
        let outcome = self.inner.limiter.check_key(key);
        self.maybe_sweep();
        outcome.map_err(|not_until| {
            RateLimited::new(not_until.wait_time_from(TokioClock::last_read()))
        })
    }

    /// Waits until `key`'s limit has a permit, and takes it.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: a permit is taken only when the future
    /// completes, so a cancelled wait takes none.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::rate::{KeyedRateLimiter, Rate};
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(Rate::per_second(10).burst(1));
    /// let start = Instant::now();
    /// limiter.until_ready(&"x").await;
    /// limiter.until_ready(&"y").await;
    /// limiter.until_ready(&"x").await;
    /// assert_eq!(start.elapsed(), Duration::from_millis(100));
    /// # }
    /// ```
    pub async fn until_ready(&self, key: &K) {
        loop {
            let outcome = self.inner.limiter.check_key(key);
            self.maybe_sweep();
            match outcome {
                Ok(()) => return,
                Err(not_until) => {
                    sleep_until(Instant::from_std(not_until.earliest_possible())).await;
                }
            }
        }
    }

    /// Waits for a permit of `key`'s limit, then runs `fut`.
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits takes no permit and drops `fut` unpolled;
    /// once `fut` runs, it is cancel safe only if `fut` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{KeyedRateLimiter, Rate};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(Rate::per_second(10));
    /// assert_eq!(limiter.run(&"host", async { 3 }).await, 3);
    /// # }
    /// ```
    pub async fn run<F: Future>(&self, key: &K, fut: F) -> F::Output {
        self.until_ready(key).await;
        fut.await
    }

    /// Returns how many keys are held: those used recently, and idle ones
    /// not yet swept.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{KeyedRateLimiter, Rate};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(Rate::per_second(1));
    /// limiter.try_acquire(&'a').unwrap();
    /// limiter.try_acquire(&'b').unwrap();
    /// assert_eq!(limiter.len(), 2);
    /// # }
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.limiter.len()
    }

    /// Returns `true` if no key is held.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{KeyedRateLimiter, Rate};
    ///
    /// let limiter = KeyedRateLimiter::<u64>::new(Rate::per_second(1));
    /// assert!(limiter.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.limiter.is_empty()
    }

    /// Returns the rate each key gets.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::rate::{KeyedRateLimiter, Rate};
    ///
    /// let limiter = KeyedRateLimiter::<u64>::new(Rate::per_second(7));
    /// assert_eq!(limiter.rate(), Rate::per_second(7));
    /// ```
    pub fn rate(&self) -> Rate {
        self.inner.rate
    }

    /// Drops idle keys now (sweeps also run by themselves).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::rate::{KeyedRateLimiter, Rate};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let limiter = KeyedRateLimiter::new(Rate::per_second(10).burst(1));
    /// limiter.try_acquire(&1).unwrap();
    /// tokio::time::advance(Duration::from_secs(1)).await;
    /// limiter.forget_idle();
    /// assert!(limiter.is_empty());
    /// # }
    /// ```
    pub fn forget_idle(&self) {
        let shared = &self.inner;
        let before = shared.limiter.len();
        shared.limiter.retain_recent();
        let left = shared.limiter.len();
        // Give memory back only after a wave of keys: shrinking a map that
        // the same few thousand keys refill at once would only make it grow
        // again (rehashing every key) on the next sweep.
        if before > 4 * (left + MIN_SWEEP) {
            shared.limiter.shrink_to_fit();
        }
        shared
            .next_sweep
            .store(MIN_SWEEP.max(left.saturating_mul(2)), Ordering::Relaxed);
        shared.checks.store(0, Ordering::Relaxed);
    }

    #[inline]
    fn maybe_sweep(&self) {
        let shared = &self.inner;
        let checks = shared.checks.fetch_add(1, Ordering::Relaxed) + 1;
        if checks >= shared.next_sweep.load(Ordering::Relaxed) {
            self.forget_idle();
        }
    }
}

impl<K: Hash + Eq + Clone> fmt::Debug for KeyedRateLimiter<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedRateLimiter")
            .field("rate", &self.inner.rate)
            .field("keys", &self.len())
            .finish_non_exhaustive()
    }
}
