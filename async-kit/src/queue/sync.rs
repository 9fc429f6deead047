//! The lock and atomics of the queue core, swapped for loom's under
//! `--cfg loom` so that `tests/queue_loom.rs` can model-check the core.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};

/// The queue's lock. Critical sections are a few instructions (no user
/// code, except a priority queue's `Ord`), so a spin lock that yields the
/// thread when contended beats a parking mutex: its unlock is a plain
/// store. A panic while it is held (a user's `Ord`) unlocks it on unwind;
/// there is no poisoning.
#[cfg(not(loom))]
pub(crate) struct Lock<T>(spin::mutex::SpinMutex<T, spin::relax::Yield>);

#[cfg(not(loom))]
pub(crate) type Guard<'a, T> = spin::mutex::SpinMutexGuard<'a, T>;

#[cfg(not(loom))]
impl<T> Lock<T> {
    pub(crate) fn new(value: T) -> Self {
        Lock(spin::mutex::SpinMutex::new(value))
    }

    pub(crate) fn lock(&self) -> Guard<'_, T> {
        self.0.lock()
    }
}

#[cfg(loom)]
pub(crate) struct Lock<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
pub(crate) type Guard<'a, T> = loom::sync::MutexGuard<'a, T>;

#[cfg(loom)]
impl<T> Lock<T> {
    pub(crate) fn new(value: T) -> Self {
        Lock(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> Guard<'_, T> {
        self.0
            .lock()
            .expect("no code panics with the lock held in the model")
    }
}
