//! The pool's job queue: a lock-free queue plus a wake-up rule that wakes
//! one idle worker at a time.

use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};

use concurrent_queue::ConcurrentQueue;
use tokio::sync::Notify;

/// An unbounded multi-producer multi-consumer queue for the pool's workers.
///
/// `async-channel` wakes one more receiver per message, so a burst of 64
/// submissions wakes 64 idle workers, and most of them find nothing. Here,
/// as in tokio's scheduler, at most one wake-up is in flight: a push wakes
/// an idle worker only if none is already on its way, and a worker that
/// takes an item and sees more wakes the next one. Work still spreads over
/// every worker (and thread) that is needed, one hand-off at a time.
pub(super) struct Queue<T> {
    items: ConcurrentQueue<T>,
    idle: Notify,
    // `true` from a `notify_one` until the worker it woke (or the next one
    // to wait, if it stored a permit) runs again. Swapped, never stored, so
    // that the worker's `swap(false)` reads the pusher's `swap(true)` and
    // sees the pushed item (release/acquire through the read-modify-write).
    wake_pending: AtomicBool,
}

impl<T> Queue<T> {
    pub(super) fn new() -> Self {
        Queue {
            items: ConcurrentQueue::unbounded(),
            idle: Notify::new(),
            wake_pending: AtomicBool::new(false),
        }
    }

    /// Pushes an item, or hands it back if the queue is closed.
    pub(super) fn push(&self, item: T) -> Result<(), T> {
        self.items.push(item).map_err(|e| e.into_inner())?;
        self.wake_one();
        Ok(())
    }

    fn wake_one(&self) {
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            // Wakes an idle worker, or leaves a permit for the next one to
            // wait, so the wake-up is never lost.
            self.idle.notify_one();
        }
    }

    pub(super) fn try_pop(&self) -> Option<T> {
        self.items.pop().ok()
    }

    fn take(&self) -> Option<T> {
        let item = self.items.pop().ok()?;
        if !self.items.is_empty() {
            self.wake_one();
        }
        Some(item)
    }

    /// Waits for an item; `None` once the queue is closed and empty.
    pub(super) async fn pop(&self) -> Option<T> {
        loop {
            if let Some(item) = self.take() {
                return Some(item);
            }
            let mut idle = pin!(self.idle.notified());
            // Registered before looking again, so a push or a close in
            // between wakes this worker.
            if idle.as_mut().enable() {
                // It took a permit left by `notify_one`: the wake-up in
                // flight was this one. Take it over, then look again.
                self.wake_pending.swap(false, Ordering::AcqRel);
                continue;
            }
            // If a `notify_one` reaches `idle` now and an item is taken
            // instead, dropping `idle` hands the wake-up to the next waiter
            // (tokio forwards it), so `wake_pending` stays true.
            if let Some(item) = self.take() {
                return Some(item);
            }
            if self.items.is_closed() {
                return None;
            }
            idle.await;
            self.wake_pending.swap(false, Ordering::AcqRel);
        }
    }

    /// Refuses further pushes and wakes every idle worker; items already
    /// queued can still be popped.
    pub(super) fn close(&self) {
        self.items.close();
        self.idle.notify_waiters();
    }

    pub(super) fn is_closed(&self) -> bool {
        self.items.is_closed()
    }

    pub(super) fn len(&self) -> usize {
        self.items.len()
    }
}
