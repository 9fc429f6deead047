//! The timer core shared by the free functions and [`Scheduler`]: one driver
//! task per scheduler, a binary heap keyed by (deadline, sequence) and a
//! single tokio `Sleep` for the earliest deadline.
//!
//! Locks: `Core::heap`, then an `Entry::state`; never the other way round.
//! Cancelling takes only the entry's lock, so it never waits for the heap.
//! Callbacks run, and are dropped, with no lock held.
//!
//! [`Scheduler`]: super::Scheduler

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::time::{Instant, MissedTickBehavior, sleep_until};

use super::handle::TimerHandle;

/// The shared state of one scheduler (the per-runtime default one, or a
/// [`Scheduler`](super::Scheduler)).
pub(crate) struct Core {
    heap: Mutex<Heap>,
    // Mirrors `Heap::closed` for lock-free reads; written under the heap
    // lock, so a reader that sees `false` re-checks under the lock anyway.
    closed: AtomicBool,
    // Wakes the driver when a new earliest deadline arrives or on close.
    notify: Notify,
    // Heap nodes made dead by `cancel` or `reschedule`: when they reach half
    // the heap, the next scheduling call sweeps them out. A heuristic only
    // (it is never decremented), so `Relaxed` is enough.
    stale: AtomicUsize,
}

struct Heap {
    nodes: BinaryHeap<Node>,
    next_seq: u64,
    closed: bool,
}

/// One (deadline, sequence) key in the heap. A node is live while its `seq`
/// equals its entry's `seq` and the entry is pending.
struct Node {
    when: Instant,
    seq: u64,
    entry: Arc<Entry>,
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        (self.when, self.seq) == (other.when, other.seq)
    }
}

impl Eq for Node {}

impl PartialOrd for Node {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Node {
    // Reversed: `BinaryHeap` is a max-heap and we want the earliest
    // deadline, then the first scheduled, on top.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.when, other.seq).cmp(&(self.when, self.seq))
    }
}

/// One timer, shared by its heap node(s) and its handles.
pub(crate) struct Entry {
    state: Mutex<EntryState>,
}

struct EntryState {
    when: Instant,
    seq: u64,
    slot: Slot,
}

enum Slot {
    /// Waiting in the heap.
    Pending(Callback),
    /// A periodic callback is running; it goes back in the heap after,
    /// at `EntryState::when` if `rescheduled`, else at its next tick.
    Running {
        rescheduled: bool,
    },
    /// Ran (or is running, for a one-shot timer), or panicked.
    Done,
    Cancelled,
}

pub(crate) enum Callback {
    Once(Box<dyn FnOnce() + Send>),
    Every(Periodic),
}

pub(crate) struct Periodic {
    pub(crate) f: Box<dyn FnMut() + Send>,
    pub(crate) period: Duration,
    pub(crate) missed: MissedTickBehavior,
}

/// What the driver does next.
enum Pop {
    Job(Job),
    /// Nothing is due; the earliest deadline, if any.
    Idle(Option<Instant>),
    Closed,
}

enum Job {
    Once(Box<dyn FnOnce() + Send>),
    Every {
        entry: Arc<Entry>,
        periodic: Periodic,
        scheduled: Instant,
    },
}

/// The state of a timer as its handle reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    Running,
    Done,
    Cancelled,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No callback runs under our locks, so a poisoned lock only means that
    // an allocation failed mid-update of plain data: carry on.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Core {
    /// Creates a scheduler core and spawns its driver task on `runtime`.
    pub(crate) fn start(runtime: &Handle) -> Arc<Core> {
        let core = Arc::new(Core {
            heap: Mutex::new(Heap {
                nodes: BinaryHeap::new(),
                next_seq: 0,
                closed: false,
            }),
            closed: AtomicBool::new(false),
            notify: Notify::new(),
            stale: AtomicUsize::new(0),
        });
        // The guard is moved into the task's future, so it closes the core
        // even when the runtime drops the task before its first poll.
        let guard = CloseOnDrop(core.clone());
        drop(runtime.spawn(async move { guard.0.drive().await }));
        core
    }

    pub(crate) fn is_closed(&self) -> bool {
        // Acquire pairs with the Release store in `close`: a reader that
        // sees `true` also sees the drained heap.
        self.closed.load(Ordering::Acquire)
    }

    /// Schedules `callback` at `when` and returns its handle. On a closed
    /// core the handle is cancelled at once and the callback dropped.
    pub(crate) fn schedule(self: &Arc<Self>, when: Instant, callback: Callback) -> TimerHandle {
        let mut heap = lock(&self.heap);
        let seq = heap.next_seq;
        heap.next_seq += 1;
        if heap.closed {
            drop(heap);
            drop(callback);
            let entry = Arc::new(Entry::new(when, seq, Slot::Cancelled));
            return TimerHandle::new(entry, self.clone());
        }
        let entry = Arc::new(Entry::new(when, seq, Slot::Pending(callback)));
        self.sweep(&mut heap);
        heap.nodes.push(Node {
            when,
            seq,
            entry: entry.clone(),
        });
        let earliest = heap.nodes.peek().is_some_and(|top| top.seq == seq);
        drop(heap);
        if earliest {
            self.notify.notify_one();
        }
        TimerHandle::new(entry, self.clone())
    }

    /// Drops dead nodes once they make up half of the heap: amortised O(1)
    /// per cancellation, and cancelled timers do not pile up until their
    /// deadlines.
    fn sweep(&self, heap: &mut Heap) {
        let stale = self.stale.load(Ordering::Relaxed);
        if stale < 64 || stale < heap.nodes.len() / 2 {
            return;
        }
        self.stale.store(0, Ordering::Relaxed);
        heap.nodes.retain(|node| {
            let state = lock(&node.entry.state);
            state.seq == node.seq && matches!(state.slot, Slot::Pending(_))
        });
    }

    /// Cancels the timer; `true` if it was pending (or a periodic one
    /// between ticks or running) and will not run again.
    pub(crate) fn cancel(&self, entry: &Entry) -> bool {
        let mut state = lock(&entry.state);
        let dropped = match std::mem::replace(&mut state.slot, Slot::Cancelled) {
            Slot::Pending(callback) => {
                self.stale.fetch_add(1, Ordering::Relaxed);
                Some(callback)
            }
            Slot::Running { .. } => None,
            done @ (Slot::Done | Slot::Cancelled) => {
                state.slot = done;
                return false;
            }
        };
        drop(state);
        // Dropped with no lock held: its destructor may use the timers.
        drop(dropped);
        true
    }

    /// Moves a pending (or running periodic) timer to `at`, as if it were
    /// scheduled now: it runs after the timers already due at `at`.
    pub(crate) fn reschedule(&self, entry: &Arc<Entry>, at: Instant) -> bool {
        let mut heap = lock(&self.heap);
        if heap.closed {
            return false;
        }
        let mut state = lock(&entry.state);
        match &mut state.slot {
            Slot::Pending(_) => {
                let seq = heap.next_seq;
                heap.next_seq += 1;
                state.seq = seq;
                state.when = at;
                drop(state);
                self.stale.fetch_add(1, Ordering::Relaxed);
                heap.nodes.push(Node {
                    when: at,
                    seq,
                    entry: entry.clone(),
                });
                let earliest = heap.nodes.peek().is_some_and(|top| top.seq == seq);
                drop(heap);
                if earliest {
                    self.notify.notify_one();
                }
                true
            }
            Slot::Running { rescheduled } => {
                *rescheduled = true;
                state.when = at;
                true
            }
            Slot::Done | Slot::Cancelled => false,
        }
    }

    /// Closes the core: cancels every pending timer and stops the driver.
    /// A callback already running finishes; none starts after this returns.
    pub(crate) fn close(&self) -> bool {
        let mut heap = lock(&self.heap);
        if heap.closed {
            return false;
        }
        heap.closed = true;
        // Release: see `is_closed`.
        self.closed.store(true, Ordering::Release);
        let mut dropped = Vec::new();
        for node in std::mem::take(&mut heap.nodes) {
            let mut state = lock(&node.entry.state);
            if state.seq == node.seq && matches!(state.slot, Slot::Pending(_)) {
                dropped.push(std::mem::replace(&mut state.slot, Slot::Cancelled));
            }
        }
        drop(heap);
        drop(dropped);
        self.notify.notify_one();
        true
    }

    /// Takes the next due callback, marking it taken under the same heap
    /// and entry locks that `close`, `cancel` and `reschedule` use: a timer
    /// cancelled before this point never runs.
    fn pop_due(&self, now: Instant) -> Pop {
        let mut heap = lock(&self.heap);
        if heap.closed {
            return Pop::Closed;
        }
        loop {
            match heap.nodes.peek() {
                None => return Pop::Idle(None),
                Some(top) if top.when > now => return Pop::Idle(Some(top.when)),
                Some(_) => {}
            }
            let Some(node) = heap.nodes.pop() else {
                return Pop::Idle(None);
            };
            let mut state = lock(&node.entry.state);
            if state.seq != node.seq {
                continue;
            }
            match std::mem::replace(&mut state.slot, Slot::Done) {
                Slot::Pending(Callback::Once(f)) => return Pop::Job(Job::Once(f)),
                Slot::Pending(Callback::Every(periodic)) => {
                    state.slot = Slot::Running { rescheduled: false };
                    drop(state);
                    return Pop::Job(Job::Every {
                        entry: node.entry,
                        periodic,
                        scheduled: node.when,
                    });
                }
                other => state.slot = other,
            }
        }
    }

    /// Puts a periodic timer back after a tick that ran at `now`.
    fn rearm(&self, entry: &Arc<Entry>, periodic: Periodic, scheduled: Instant, now: Instant) {
        let mut heap = lock(&self.heap);
        let mut state = lock(&entry.state);
        let rescheduled = match state.slot {
            Slot::Running { rescheduled } if !heap.closed => rescheduled,
            Slot::Running { .. } => {
                state.slot = Slot::Cancelled;
                drop(state);
                drop(heap);
                drop(periodic);
                return;
            }
            _ => {
                drop(state);
                drop(heap);
                drop(periodic);
                return;
            }
        };
        let when = if rescheduled {
            state.when
        } else {
            next_tick(scheduled, now, periodic.period, periodic.missed)
        };
        let seq = heap.next_seq;
        heap.next_seq += 1;
        state.seq = seq;
        state.when = when;
        state.slot = Slot::Pending(Callback::Every(periodic));
        drop(state);
        heap.nodes.push(Node {
            when,
            seq,
            entry: entry.clone(),
        });
    }

    /// The driver task: runs due callbacks in (deadline, sequence) order,
    /// then sleeps until the earliest deadline or a notification.
    async fn drive(&self) {
        let mut sleep = pin!(sleep_until(Instant::now()));
        let mut now = Instant::now();
        loop {
            match self.pop_due(now) {
                Pop::Closed => return,
                Pop::Job(job) => {
                    self.run(job, now);
                    // Callbacks that schedule more callbacks for "now" must
                    // not starve the other tasks of the runtime.
                    tokio::task::consume_budget().await;
                }
                Pop::Idle(next) => {
                    let latest = Instant::now();
                    if next.is_some_and(|at| at <= latest) {
                        now = latest;
                        continue;
                    }
                    let mut notified = pin!(self.notify.notified());
                    match next {
                        Some(at) => {
                            if sleep.deadline() != at {
                                sleep.as_mut().reset(at);
                            }
                            poll_fn(|cx| {
                                if notified.as_mut().poll(cx).is_ready()
                                    || sleep.as_mut().poll(cx).is_ready()
                                {
                                    Poll::Ready(())
                                } else {
                                    Poll::Pending
                                }
                            })
                            .await;
                        }
                        None => notified.await,
                    }
                    now = Instant::now();
                }
            }
        }
    }

    /// Runs one callback. A panic is caught here, after the panic hook has
    /// reported it (to stderr by default), so the driver goes on.
    fn run(&self, job: Job, now: Instant) {
        match job {
            Job::Once(f) => {
                // The callback is consumed whether or not it panics, so no
                // broken state can be observed afterwards.
                let _ = catch_unwind(AssertUnwindSafe(f));
            }
            Job::Every {
                entry,
                mut periodic,
                scheduled,
            } => {
                // After a panic the callback is dropped, never called again.
                if catch_unwind(AssertUnwindSafe(&mut periodic.f)).is_ok() {
                    self.rearm(&entry, periodic, scheduled, now);
                } else {
                    let mut state = lock(&entry.state);
                    if matches!(state.slot, Slot::Running { .. }) {
                        state.slot = Slot::Done;
                    }
                    drop(state);
                    drop(periodic);
                }
            }
        }
    }
}

impl Entry {
    fn new(when: Instant, seq: u64, slot: Slot) -> Self {
        Entry {
            state: Mutex::new(EntryState { when, seq, slot }),
        }
    }

    pub(crate) fn when(&self) -> Instant {
        lock(&self.state).when
    }

    pub(crate) fn status(&self) -> Status {
        match lock(&self.state).slot {
            Slot::Pending(_) => Status::Pending,
            Slot::Running { .. } => Status::Running,
            Slot::Done => Status::Done,
            Slot::Cancelled => Status::Cancelled,
        }
    }
}

/// The deadline of the tick after the one due at `scheduled`, which ran at
/// `now`. A tick is missed when its deadline has passed before the previous
/// one ran; then `missed` decides, with tokio's [`MissedTickBehavior`]
/// rules.
fn next_tick(
    scheduled: Instant,
    now: Instant,
    period: Duration,
    missed: MissedTickBehavior,
) -> Instant {
    let next = far_add(scheduled, period);
    if next > now {
        return next;
    }
    match missed {
        MissedTickBehavior::Burst => next,
        MissedTickBehavior::Delay => far_add(now, period),
        MissedTickBehavior::Skip => {
            let late = (now - scheduled).as_nanos() % period.as_nanos();
            // `late < period`, which is a `Duration`, so it fits in u64
            // nanoseconds whenever the period does; saturate otherwise.
            let late = Duration::from_nanos(u64::try_from(late).unwrap_or(u64::MAX));
            far_add(now, period.saturating_sub(late))
        }
    }
}

/// `at + d`, or about 30 years from `at` if that overflows (tokio's rule).
pub(crate) fn far_add(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .unwrap_or_else(|| at + Duration::from_secs(86_400 * 365 * 30))
}

/// Closes the core when the driver task is dropped, e.g. at runtime
/// shutdown, so that no timer stays pending with nobody to run it.
struct CloseOnDrop(Arc<Core>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn cancelled_timers_do_not_pile_up_in_the_heap() {
        let core = Core::start(&Handle::current());
        let mut longest = 0;
        for _ in 0..10_000 {
            let at = Instant::now() + Duration::from_secs(3_600);
            let handle = core.schedule(at, Callback::Once(Box::new(|| {})));
            assert!(handle.cancel());
            longest = longest.max(lock(&core.heap).nodes.len());
        }
        // Swept whenever dead nodes reach 64 and half of the heap.
        assert!(longest <= 130, "heap grew to {longest}");
        core.close();
    }

    #[test]
    fn next_tick_follows_tokio_missed_tick_rules() {
        let t = Instant::now();
        let p = Duration::from_millis(10);
        let at = |ms| t + Duration::from_millis(ms);
        // On time, or late by less than a period: the schedule holds.
        for missed in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            assert_eq!(next_tick(t, at(3), p, missed), at(10));
        }
        assert_eq!(next_tick(t, at(25), p, MissedTickBehavior::Burst), at(10));
        assert_eq!(next_tick(t, at(25), p, MissedTickBehavior::Delay), at(35));
        assert_eq!(next_tick(t, at(25), p, MissedTickBehavior::Skip), at(30));
        assert_eq!(next_tick(t, at(30), p, MissedTickBehavior::Skip), at(40));
    }
}
