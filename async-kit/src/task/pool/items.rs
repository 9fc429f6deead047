//! The job queue's storage: a `VecDeque` behind a spin lock.
//!
//! A push or a pop holds the lock for a few instructions and never runs
//! user code, so one compare-and-swap to lock and a plain store to unlock
//! beat a lock-free queue's per-slot atomics and its block allocations:
//! with `concurrent-queue` a pool task cost about 11 % more on the
//! current-thread runtime, and up to twice as much on a loaded multi-thread
//! one. `len` and `closed` are mirrored in atomics so that idle workers can
//! watch the queue without taking the lock.
//!
//! The price of a spin lock: when its holder is preempted, the others yield
//! until it runs again, which with more runtime threads than cores happens
//! often (4 workers on 2 cores measured about 25 % slower than with a
//! parking lock). A pool made on such a runtime therefore gets a parking
//! `std::sync::Mutex` instead, which costs one more read-modify-write per
//! push or pop (29 % more per task on 2 workers, where the spin lock stays;
//! see BENCHMARKS.md). The loom stand-in (`loom_shim::Items`) has the same
//! shape, with loom's mutex.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use spin::mutex::SpinMutex;
use spin::relax::Yield;

pub(super) struct Items<T> {
    deque: Deque<T>,
    // Written under the lock after each change; read without it.
    len: AtomicUsize,
    // Set under the lock; a push that takes the lock afterwards fails.
    closed: AtomicBool,
}

enum Deque<T> {
    Spin(SpinMutex<VecDeque<T>, Yield>),
    Park(Mutex<VecDeque<T>>),
}

impl<T> Items<T> {
    /// A queue behind a spin lock, or behind a parking mutex if `parking`.
    pub(super) fn new(parking: bool) -> Self {
        let deque = VecDeque::new();
        Items {
            deque: if parking {
                Deque::Park(Mutex::new(deque))
            } else {
                Deque::Spin(SpinMutex::new(deque))
            },
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Runs `f` on the deque under its lock.
    fn locked<R>(&self, f: impl FnOnce(&mut VecDeque<T>) -> R) -> R {
        match &self.deque {
            Deque::Spin(lock) => f(&mut lock.lock()),
            // Nothing panics under the lock; a poisoned one is still sound.
            Deque::Park(lock) => f(&mut lock.lock().unwrap_or_else(PoisonError::into_inner)),
        }
    }

    /// Appends `item`, or hands it back once the queue is closed.
    pub(super) fn push(&self, item: T) -> Result<(), T> {
        self.locked(|deque| {
            if self.closed.load(Ordering::Relaxed) {
                return Err(item);
            }
            deque.push_back(item);
            self.len.store(deque.len(), Ordering::Release);
            Ok(())
        })
    }

    /// Puts `item` back at the front (a job a retiring worker took), or
    /// hands it back once the queue is closed.
    pub(super) fn push_front(&self, item: T) -> Result<(), T> {
        self.locked(|deque| {
            if self.closed.load(Ordering::Relaxed) {
                return Err(item);
            }
            deque.push_front(item);
            self.len.store(deque.len(), Ordering::Release);
            Ok(())
        })
    }

    pub(super) fn pop(&self) -> Option<T> {
        self.locked(|deque| {
            let item = deque.pop_front()?;
            self.len.store(deque.len(), Ordering::Release);
            Some(item)
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub(super) fn close(&self) {
        self.locked(|_| self.closed.store(true, Ordering::Release));
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::Items;

    /// Both locks keep FIFO order, the length, and a close that refuses
    /// pushes but still lets the queued items out.
    #[test]
    fn both_locks_behave_alike() {
        for parking in [false, true] {
            let items = Items::new(parking);
            assert!(items.is_empty());
            assert!(items.push(1).is_ok());
            assert!(items.push(2).is_ok());
            assert_eq!(items.len(), 2);
            assert_eq!(items.pop(), Some(1));
            items.close();
            assert!(items.is_closed());
            assert_eq!(items.push(3), Err(3));
            assert_eq!(items.pop(), Some(2));
            assert_eq!(items.pop(), None);
            assert!(items.is_empty());
        }
    }
}
