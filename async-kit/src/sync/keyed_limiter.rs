use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Semaphore;

use super::error::TryAcquireError;

/// Limits how many operations run at once per key, such as per host in a
/// crawler.
///
/// Each key gets its own fair (FIFO) semaphore of `limit` permits, created
/// when the key is first used and removed when its last permit is given back
/// and no call waits for it, so memory follows the keys in use, not every
/// key ever seen. Clones share the same keys.
///
/// # Examples
///
/// ```
/// use async_kit::sync::KeyedLimiter;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let per_host = KeyedLimiter::new(1);
/// let a = per_host.acquire("a.example").await;
/// // Another host is not held back by `a.example`.
/// let b = per_host.try_acquire("b.example").unwrap();
/// assert!(per_host.try_acquire("a.example").is_err());
/// assert_eq!(per_host.keys(), 2);
/// drop((a, b));
/// assert_eq!(per_host.keys(), 0);
/// # }
/// ```
pub struct KeyedLimiter<K> {
    inner: Arc<Inner<K>>,
}

struct Inner<K> {
    limit: usize,
    // A key's semaphore is shared by the map and by each `Entry` (one per
    // permit holder or waiter); all clones are made under this lock, so a
    // strong count of 2 seen under it means "the map and me".
    keys: Mutex<HashMap<K, Arc<Semaphore>>>,
}

impl<K> Clone for KeyedLimiter<K> {
    fn clone(&self) -> Self {
        KeyedLimiter {
            inner: self.inner.clone(),
        }
    }
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// Creates a limiter that lets `limit` operations run at once per key.
    ///
    /// # Panics
    ///
    /// Panics if `limit` exceeds tokio's `Semaphore::MAX_PERMITS`.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::KeyedLimiter::<String>::new(2);
    /// assert_eq!(limiter.limit(), 2);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn new(limit: usize) -> Self {
        assert!(
            limit <= Semaphore::MAX_PERMITS,
            "a limit must be at most {} (tokio's Semaphore::MAX_PERMITS)",
            Semaphore::MAX_PERMITS
        );
        KeyedLimiter {
            inner: Arc::new(Inner {
                limit,
                keys: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Waits for a permit for `key` and returns it as a guard.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue per key to distribute permits in the order
    /// they were requested. Cancelling a call to `acquire` makes you lose
    /// your place in the queue; no permit is taken, and a key nobody uses
    /// any more is removed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::sync::KeyedLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = KeyedLimiter::new(1);
    /// let permit = limiter.acquire(7).await;
    /// assert_eq!(permit.key(), &7);
    /// # }
    /// ```
    pub async fn acquire(&self, key: K) -> KeyedPermit<K> {
        let entry = self.entry(key);
        // The semaphore is never closed.
        entry.sem.acquire().await.expect("never closed").forget();
        KeyedPermit { entry }
    }

    /// Takes a permit for `key` if one is free now, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::KeyedLimiter::new(1);
    /// let permit = limiter.try_acquire("k").unwrap();
    /// assert!(limiter.try_acquire("k").is_err());
    /// drop(permit);
    /// assert!(limiter.try_acquire("k").is_ok());
    /// ```
    pub fn try_acquire(&self, key: K) -> Result<KeyedPermit<K>, TryAcquireError> {
        let entry = self.entry(key);
        let taken = entry.sem.try_acquire().map(|permit| permit.forget());
        match taken {
            Ok(()) => Ok(KeyedPermit { entry }),
            Err(_) => Err(TryAcquireError::new()),
        }
    }

    /// Runs `fut` while holding a permit for `key`, and returns its output.
    ///
    /// # Cancel safety
    ///
    /// Cancelling while it waits loses the place in the queue and drops
    /// `fut` unpolled; once `fut` runs, it is cancel safe only if `fut` is.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::sync::KeyedLimiter;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = KeyedLimiter::new(4);
    /// let len = limiter.run("example.org", async { "body".len() }).await;
    /// assert_eq!(len, 4);
    /// # }
    /// ```
    pub async fn run<F: Future>(&self, key: K, fut: F) -> F::Output {
        let _permit = self.acquire(key).await;
        fut.await
    }

    /// Returns the limit per key.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::KeyedLimiter::<u32>::new(3);
    /// assert_eq!(limiter.limit(), 3);
    /// ```
    #[must_use]
    pub fn limit(&self) -> usize {
        self.inner.limit
    }

    /// Returns how many keys are in use now: held by a permit or awaited by
    /// a call to [`acquire`](KeyedLimiter::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::KeyedLimiter::new(1);
    /// let _p = limiter.try_acquire(1).unwrap();
    /// assert_eq!(limiter.keys(), 1);
    /// ```
    #[must_use]
    pub fn keys(&self) -> usize {
        self.inner.lock().len()
    }

    fn entry(&self, key: K) -> Entry<K> {
        let sem = {
            let mut keys = self.inner.lock();
            keys.entry(key.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(self.inner.limit)))
                .clone()
        };
        Entry {
            inner: self.inner.clone(),
            key,
            sem,
        }
    }
}

impl<K> Inner<K> {
    fn lock(&self) -> MutexGuard<'_, HashMap<K, Arc<Semaphore>>> {
        // A panic while the lock is held cannot leave the map inconsistent.
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K> fmt::Debug for KeyedLimiter<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedLimiter")
            .field("limit", &self.inner.limit)
            .field("keys", &self.inner.lock().len())
            .finish()
    }
}

/// A waiter's or holder's share of a key; the last one out removes the key.
struct Entry<K: Hash + Eq> {
    inner: Arc<Inner<K>>,
    key: K,
    sem: Arc<Semaphore>,
}

impl<K: Hash + Eq> Drop for Entry<K> {
    fn drop(&mut self) {
        let mut keys = self.inner.lock();
        if Arc::strong_count(&self.sem) == 2 {
            keys.remove(&self.key);
        }
    }
}

/// A permit of a [`KeyedLimiter`] for one key, given back when dropped.
///
/// # Examples
///
/// ```
/// let limiter = async_kit::sync::KeyedLimiter::new(1);
/// let permit = limiter.try_acquire("host").unwrap();
/// assert_eq!(*permit.key(), "host");
/// drop(permit);
/// assert_eq!(limiter.keys(), 0);
/// ```
#[must_use = "the permit is given back at once if it is not kept"]
pub struct KeyedPermit<K: Hash + Eq> {
    entry: Entry<K>,
}

impl<K: Hash + Eq> KeyedPermit<K> {
    /// Returns the key this permit is for.
    ///
    /// # Examples
    ///
    /// ```
    /// let limiter = async_kit::sync::KeyedLimiter::new(1);
    /// assert_eq!(*limiter.try_acquire(5).unwrap().key(), 5);
    /// ```
    #[must_use]
    pub fn key(&self) -> &K {
        &self.entry.key
    }
}

impl<K: Hash + Eq> Drop for KeyedPermit<K> {
    fn drop(&mut self) {
        // Give the permit back before the entry decides whether the key is
        // still in use.
        self.entry.sem.add_permits(1);
    }
}

impl<K: Hash + Eq + fmt::Debug> fmt::Debug for KeyedPermit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedPermit")
            .field("key", &self.entry.key)
            .finish()
    }
}
