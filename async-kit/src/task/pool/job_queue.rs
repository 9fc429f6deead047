//! The pool's job queue: a spin-locked deque plus a wake-up rule that
//! wakes one idle worker at a time.

use std::pin::pin;
use std::time::Duration;

#[cfg(not(async_kit_loom))]
use super::items::Items;
#[cfg(not(async_kit_loom))]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(not(async_kit_loom))]
use tokio::sync::Notify;

#[cfg(async_kit_loom)]
use super::loom_shim::{AtomicBool, Items, Notify, Ordering};

/// An unbounded multi-producer multi-consumer queue for the pool's workers.
///
/// `async-channel` wakes one more receiver per message, so a burst of 64
/// submissions wakes 64 idle workers, and most of them find nothing. Here,
/// as in tokio's scheduler, at most one wake-up is in flight: a push wakes
/// an idle worker only if none is already on its way, and a worker that
/// takes an item and sees more wakes the next one. Work still spreads over
/// every worker (and thread) that is needed, one hand-off at a time.
pub(super) struct Queue<T> {
    items: Items<T>,
    idle: Notify,
    // `true` from a `notify_one` until the worker it woke (or the next one
    // to wait, if it stored a permit) runs again. Swapped, never stored, so
    // that the worker's `swap(false)` reads the pusher's `swap(true)` and
    // sees the pushed item (release/acquire through the read-modify-write);
    // a pusher that only loads it is ordered by the items' lock instead
    // (see `wake_one`).
    wake_pending: AtomicBool,
    // One idle worker at a time may spin before parking (see `pop`).
    searching: AtomicBool,
}

impl<T> Queue<T> {
    /// A queue whose storage parks waiters on its lock if `parking`, or
    /// spins (see `items.rs`).
    pub(super) fn new(parking: bool) -> Self {
        Queue {
            items: Items::new(parking),
            idle: Notify::new(),
            wake_pending: AtomicBool::new(false),
            searching: AtomicBool::new(false),
        }
    }

    /// Pushes an item, or hands it back if the queue is closed.
    pub(super) fn push(&self, item: T) -> Result<(), T> {
        self.items.push(item)?;
        self.wake_one();
        Ok(())
    }

    /// Puts an item back at the front, where it was taken from, or hands
    /// it back if the queue is closed.
    pub(super) fn push_front(&self, item: T) -> Result<(), T> {
        self.items.push_front(item)?;
        self.wake_one();
        Ok(())
    }

    fn wake_one(&self) {
        // While a wake-up is in flight, the worker it reaches will pass it
        // on, so a plain load spares the read-modify-write. A `false` set by
        // a worker before it last looked at the queue is visible here: the
        // queue's lock orders that look before this push.
        if !self.wake_pending.load(Ordering::Acquire)
            && !self.wake_pending.swap(true, Ordering::AcqRel)
        {
            // Wakes an idle worker, or leaves a permit for the next one to
            // wait, so the wake-up is never lost.
            self.idle.notify_one();
        }
    }

    pub(super) fn try_pop(&self) -> Option<T> {
        self.items.pop()
    }

    fn take(&self) -> Option<T> {
        let item = self.items.pop()?;
        if !self.items.is_empty() {
            self.wake_one();
        }
        Some(item)
    }

    /// Lets one idle worker at a time watch the queue for up to `budget`
    /// before it parks; returns `true` if an item arrived meanwhile.
    ///
    /// On a multi-thread runtime, parking a worker thread and waking it
    /// again costs a futex wait, a wake-up and a context switch, which on a
    /// virtual machine is tens of microseconds: more than a burst of small
    /// jobs takes. One watcher catches the next submission without that
    /// round trip; the others park at once, so an idle pool burns at most
    /// `budget` of one thread each time it runs dry.
    fn spin(&self, budget: Duration) -> bool {
        if self.searching.swap(true, Ordering::Acquire) {
            return false;
        }
        let start = std::time::Instant::now();
        let found = 'watch: loop {
            for _ in 0..32 {
                if !self.items.is_empty() {
                    break 'watch true;
                }
                if self.items.is_closed() {
                    break 'watch false;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= budget {
                break false;
            }
        };
        self.searching.store(false, Ordering::Release);
        found
    }

    /// Waits for an item; `None` once the queue is closed and empty. An idle
    /// worker may first watch the queue for up to `spin` (see `spin`).
    pub(super) async fn pop(&self, spin: Duration) -> Option<T> {
        loop {
            if let Some(item) = self.take() {
                return Some(item);
            }
            if !spin.is_zero() && self.spin(spin) {
                continue;
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
                // An item may have been pushed after the look above and
                // before the close; pushes fail after it, so one more look
                // sees everything. (Found by the loom model below.)
                return self.take();
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

/// `RUSTFLAGS="--cfg async_kit_loom" cargo test -p async-kit --lib --release
/// loom` explores every interleaving of these (a few seconds).
#[cfg(all(test, async_kit_loom))]
mod loom_tests {
    use loom::sync::Arc;
    use loom::thread;

    use super::Queue;
    use std::time::Duration;

    /// Each worker takes exactly one item and stops: a lost wake-up leaves
    /// one of them waiting forever, which loom reports as a deadlock.
    #[test]
    fn every_item_wakes_a_worker() {
        two_workers_two_items(Duration::ZERO);
    }

    /// The same with workers that watch the queue before parking (one at a
    /// time): the watcher still parks safely when nothing comes.
    #[test]
    fn watching_workers_get_every_item() {
        two_workers_two_items(Duration::from_nanos(1));
    }

    fn two_workers_two_items(spin: Duration) {
        loom::model(move || {
            let queue = Arc::new(Queue::new(false));
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let queue = queue.clone();
                    thread::spawn(move || loom::future::block_on(queue.pop(spin)))
                })
                .collect();
            assert!(queue.push(1).is_ok());
            assert!(queue.push(2).is_ok());
            let mut got: Vec<u32> = workers
                .into_iter()
                .map(|w| w.join().unwrap().unwrap())
                .collect();
            got.sort_unstable();
            assert_eq!(got, [1, 2]);
        });
    }

    /// Two pushers race one worker that takes both items.
    #[test]
    fn concurrent_pushes_reach_one_worker() {
        loom::model(|| {
            let queue = Arc::new(Queue::new(false));
            let pushers: Vec<_> = (1..=2)
                .map(|i| {
                    let queue = queue.clone();
                    thread::spawn(move || assert!(queue.push(i).is_ok()))
                })
                .collect();
            let got = loom::future::block_on(async {
                let a = queue.pop(Duration::ZERO).await.unwrap();
                let b = queue.pop(Duration::ZERO).await.unwrap();
                a + b
            });
            for p in pushers {
                p.join().unwrap();
            }
            assert_eq!(got, 3);
        });
    }

    /// Closing wakes a waiting worker, which still drains what is queued.
    #[test]
    fn close_wakes_waiting_workers() {
        loom::model(|| {
            let queue = Arc::new(Queue::new(false));
            let worker = {
                let queue = queue.clone();
                thread::spawn(move || {
                    loom::future::block_on(async {
                        let mut got = Vec::new();
                        while let Some(item) = queue.pop(Duration::ZERO).await {
                            got.push(item);
                        }
                        got
                    })
                })
            };
            assert!(queue.push(7).is_ok());
            queue.close();
            assert!(queue.push(8).is_err());
            assert_eq!(worker.join().unwrap(), [7]);
        });
    }
}
