//! The job queue's storage: a `VecDeque` behind a spin lock.
//!
//! A push or a pop holds the lock for a few instructions and never runs
//! user code, so one compare-and-swap to lock and a plain store to unlock
//! beat a lock-free queue's per-slot atomics and its block allocations:
//! with `concurrent-queue` a pool task cost about 11 % more on the
//! current-thread runtime, and up to twice as much on a loaded multi-thread
//! one. `len` and `closed` are mirrored in atomics so that idle workers can
//! watch the queue without taking the lock. The price: with more runtime
//! threads than cores, a holder that is preempted makes the others yield
//! until it runs again (4 workers on 2 cores measured about 25 % slower
//! than with a parking `std::sync::Mutex`, which in turn cost 29 % more on
//! 2 workers; see BENCHMARKS.md). The loom stand-in (`loom_shim::Items`)
//! has the same shape, with loom's mutex.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use spin::mutex::SpinMutex;
use spin::relax::Yield;

pub(super) struct Items<T> {
    deque: SpinMutex<VecDeque<T>, Yield>,
    // Written under the lock after each change; read without it.
    len: AtomicUsize,
    // Set under the lock; a push that takes the lock afterwards fails.
    closed: AtomicBool,
}

impl<T> Items<T> {
    pub(super) fn new() -> Self {
        Items {
            deque: SpinMutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Appends `item`, or hands it back once the queue is closed.
    pub(super) fn push(&self, item: T) -> Result<(), T> {
        let mut deque = self.deque.lock();
        if self.closed.load(Ordering::Relaxed) {
            return Err(item);
        }
        deque.push_back(item);
        self.len.store(deque.len(), Ordering::Release);
        Ok(())
    }

    pub(super) fn pop(&self) -> Option<T> {
        let mut deque = self.deque.lock();
        let item = deque.pop_front()?;
        self.len.store(deque.len(), Ordering::Release);
        Some(item)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub(super) fn close(&self) {
        let _deque = self.deque.lock();
        self.closed.store(true, Ordering::Release);
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}
