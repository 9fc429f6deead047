//! The resizable FIFO semaphore shared by `Limiter` and `TaskPool`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, TryAcquireError};

/// A fair semaphore whose limit can change at run time.
///
/// Permits are taken from tokio's [`Semaphore`] and immediately forgotten;
/// [`Gate::release`] gives them back. That keeps the guards of the public
/// types free of lifetimes and lets a release pay off `debt` instead: when
/// the limit shrinks while permits are out, the missing permits are
/// forgotten one by one as they come back, so running work is never
/// cancelled.
///
/// Accounting, at every quiet moment: `available + held = limit + debt`.
pub(crate) struct Gate {
    sem: Semaphore,
    limit: AtomicUsize,
    // Permits still held that must not return to the semaphore. Changed with
    // compare-and-swap only, never below zero; the `SeqCst`-free orderings
    // are enough because the semaphore's own lock orders the permits.
    debt: AtomicUsize,
    waiting: AtomicUsize,
    // Serialises `set_limit` calls (rare); releases never take it.
    resize: Mutex<()>,
}

/// The gate was closed (only a task pool closes its gate).
#[derive(Debug)]
pub(crate) struct Closed;

impl Gate {
    #[track_caller]
    pub(crate) fn new(limit: usize) -> Self {
        assert!(
            limit <= Semaphore::MAX_PERMITS,
            "a limit must be at most {} (tokio's Semaphore::MAX_PERMITS)",
            Semaphore::MAX_PERMITS
        );
        Gate {
            sem: Semaphore::new(limit),
            limit: AtomicUsize::new(limit),
            debt: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            resize: Mutex::new(()),
        }
    }

    /// Waits for a permit, in FIFO order. Cancel safe in tokio's sense: a
    /// dropped wait loses its place in the queue and takes no permit.
    pub(crate) async fn acquire(&self) -> Result<(), Closed> {
        // Fast path: tokio hands released permits to queued waiters first, so
        // an uncontended `try_acquire` cannot overtake anyone.
        match self.sem.try_acquire() {
            Ok(permit) => {
                permit.forget();
                return Ok(());
            }
            Err(TryAcquireError::Closed) => return Err(Closed),
            Err(TryAcquireError::NoPermits) => {}
        }
        let _waiting = Waiting::enter(&self.waiting);
        match self.sem.acquire().await {
            Ok(permit) => {
                permit.forget();
                Ok(())
            }
            Err(_) => Err(Closed),
        }
    }

    pub(crate) fn try_acquire(&self) -> Result<(), TryAcquireError> {
        self.sem.try_acquire().map(|permit| permit.forget())
    }

    /// Returns one permit, or forgets it to pay off a shrink.
    #[inline]
    pub(crate) fn release(&self) {
        if self.debt.load(Ordering::Relaxed) > 0 && self.pay(1) == 1 {
            return;
        }
        self.sem.add_permits(1);
    }

    /// Takes up to `n` from the debt; returns how much was taken.
    fn pay(&self, n: usize) -> usize {
        let mut paid = 0;
        let _ = self
            .debt
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |debt| {
                paid = debt.min(n);
                (paid > 0).then(|| debt - paid)
            });
        paid
    }

    #[track_caller]
    pub(crate) fn set_limit(&self, limit: usize) {
        assert!(
            limit <= Semaphore::MAX_PERMITS,
            "a limit must be at most {} (tokio's Semaphore::MAX_PERMITS)",
            Semaphore::MAX_PERMITS
        );
        let _resize = self.resize.lock().unwrap_or_else(|e| e.into_inner());
        let old = self.limit.swap(limit, Ordering::AcqRel);
        if limit > old {
            // Growing: cancel outstanding debt first, then wake waiters.
            let grow = limit - old;
            let paid = self.pay(grow);
            self.sem.add_permits(grow - paid);
        } else if limit < old {
            // Shrinking: owe the difference, then take what is free now. A
            // release may pay the same debt meanwhile; permits forgotten
            // beyond what is still owed go back.
            let shrink = old - limit;
            self.debt.fetch_add(shrink, Ordering::AcqRel);
            let forgotten = self.sem.forget_permits(shrink);
            let paid = self.pay(forgotten);
            if forgotten > paid {
                self.sem.add_permits(forgotten - paid);
            }
        }
    }

    pub(crate) fn close(&self) {
        self.sem.close();
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit.load(Ordering::Acquire)
    }

    pub(crate) fn in_use(&self) -> usize {
        let total = self.limit() + self.debt.load(Ordering::Acquire);
        total.saturating_sub(self.sem.available_permits())
    }

    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("limit", &self.limit())
            .field("in_use", &self.in_use())
            .field("waiting", &self.waiting())
            .finish()
    }
}

/// Counts a waiter for as long as it waits, however the wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
