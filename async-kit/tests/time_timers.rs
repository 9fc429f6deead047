//! `call_soon` / `call_later` / `call_at`, `call_every`, `TimerHandle` and
//! `Scheduler`: behaviour under tokio's paused clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_kit::time::{
    Scheduler, TimerHandle, call_at, call_every, call_every_with, call_later, call_soon, spawn_at,
    spawn_later, spawn_soon,
};
use tokio::time::{Instant, MissedTickBehavior, advance, sleep};

/// Counts drops, to prove that a cancelled callback was dropped.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Records which callback ran, and when (milliseconds since `start`).
#[derive(Clone)]
struct Log {
    start: Instant,
    runs: Arc<Mutex<Vec<(u32, u64)>>>,
}

impl Log {
    fn new() -> Self {
        Log {
            start: Instant::now(),
            runs: Arc::default(),
        }
    }

    /// A callback that records `id`.
    fn cb(&self, id: u32) -> impl FnOnce() + Send + 'static {
        let log = self.clone();
        move || log.record(id)
    }

    fn record(&self, id: u32) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.runs.lock().unwrap().push((id, ms));
    }

    fn take(&self) -> Vec<(u32, u64)> {
        std::mem::take(&mut self.runs.lock().unwrap())
    }

    fn ids(&self) -> Vec<u32> {
        self.take().into_iter().map(|(id, _)| id).collect()
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Lets the clock run (auto-advancing through every timer) for `n` ms.
async fn run_for(n: u64) {
    sleep(ms(n)).await;
}

#[tokio::test(start_paused = true)]
async fn callbacks_run_at_their_deadlines_in_deadline_order() {
    let log = Log::new();
    let _c = call_later(ms(30), log.cb(3));
    let _a = call_later(ms(10), log.cb(1));
    let _d = call_at(log.start + ms(40), log.cb(4));
    let _b = call_later(ms(20), log.cb(2));
    let _s = call_soon(log.cb(0));
    run_for(100).await;
    assert_eq!(log.take(), [(0, 0), (1, 10), (2, 20), (3, 30), (4, 40)]);
}

#[tokio::test(start_paused = true)]
async fn same_instant_callbacks_run_in_scheduling_order() {
    let log = Log::new();
    let at = log.start + ms(5);
    let mut handles = Vec::new();
    for id in 0..200 {
        // Interleave the three forms; all are due at `at`.
        handles.push(match id % 3 {
            0 => call_at(at, log.cb(id)),
            1 => call_later(ms(5), log.cb(id)),
            _ => spawn_at(at, {
                let log = log.clone();
                async move { log.record(id) }
            }),
        });
    }
    // The spawned ones run as tasks, after the callbacks of the batch: only
    // check the callbacks' order, and that every id ran at 5 ms.
    run_for(10).await;
    let runs = log.take();
    assert_eq!(runs.len(), 200);
    assert!(runs.iter().all(|&(_, at)| at == 5));
    let callbacks: Vec<u32> = runs
        .iter()
        .map(|&(id, _)| id)
        .filter(|id| id % 3 != 2)
        .collect();
    let expected: Vec<u32> = (0..200).filter(|id| id % 3 != 2).collect();
    assert_eq!(callbacks, expected);
}

#[tokio::test(start_paused = true)]
async fn call_soon_from_a_callback_runs_after_those_already_due() {
    let log = Log::new();
    let inner = log.clone();
    let _a = call_soon(move || {
        inner.record(0);
        let _c = call_soon(inner.cb(2));
    });
    let _b = call_soon(log.cb(1));
    run_for(1).await;
    assert_eq!(log.ids(), [0, 1, 2]);
}

#[tokio::test(start_paused = true)]
async fn cancelling_before_the_deadline_drops_the_callback_unrun() {
    let log = Log::new();
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(drops.clone());
    let cb = log.cb(1);
    let handle = call_later(ms(10), move || {
        let _guard = guard;
        cb();
    });
    run_for(5).await;
    assert!(handle.cancel());
    assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped by cancel");
    assert!(handle.is_cancelled());
    assert!(!handle.cancel(), "a second cancel does nothing");
    run_for(100).await;
    assert!(log.ids().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_callback_cancelled_while_due_never_runs() {
    // Both are due at 10 ms and taken in one driver pass; the first cancels
    // the second right before it would run.
    let log = Log::new();
    let victim: Arc<Mutex<Option<TimerHandle>>> = Arc::default();
    let slot = victim.clone();
    let first = log.cb(1);
    let cancelled = Arc::new(AtomicUsize::new(0));
    let count = cancelled.clone();
    let _a = call_later(ms(10), move || {
        first();
        let handle = slot.lock().unwrap().take().unwrap();
        if handle.cancel() {
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    *victim.lock().unwrap() = Some(call_later(ms(10), log.cb(2)));
    let _c = call_later(ms(10), log.cb(3));
    run_for(20).await;
    assert_eq!(log.ids(), [1, 3]);
    assert_eq!(cancelled.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_callback_cancelled_from_another_thread_while_due_never_runs() {
    let log = Log::new();
    let victim: Arc<Mutex<Option<TimerHandle>>> = Arc::default();
    let slot = victim.clone();
    let _a = call_later(ms(10), move || {
        let handle = slot.lock().unwrap().take().unwrap();
        // The handle is Send: cancel from a plain thread while it is due.
        let cancelled = std::thread::spawn(move || handle.cancel()).join().unwrap();
        assert!(cancelled);
    });
    *victim.lock().unwrap() = Some(call_later(ms(10), log.cb(2)));
    let _c = call_later(ms(10), log.cb(3));
    run_for(20).await;
    assert_eq!(log.ids(), [3]);
}

#[tokio::test(start_paused = true)]
async fn cancelling_after_the_run_returns_false() {
    let log = Log::new();
    let handle = call_later(ms(10), log.cb(1));
    run_for(11).await;
    assert_eq!(log.ids(), [1]);
    assert!(!handle.cancel());
    assert!(!handle.is_cancelled());
    assert_eq!(handle.when(), log.start + ms(10));
}

#[tokio::test(start_paused = true)]
async fn reschedule_moves_a_pending_timer_and_its_place_in_line() {
    let log = Log::new();
    let a = call_later(ms(10), log.cb(1));
    let b = call_later(ms(20), log.cb(2));
    let _c = call_later(ms(20), log.cb(3));
    // Later: 1 now runs after 3, which was scheduled at 20 ms before it.
    assert!(a.reschedule(log.start + ms(20)));
    // Earlier: 2 moves to 5 ms.
    assert!(b.reschedule(log.start + ms(5)));
    assert_eq!(b.when(), log.start + ms(5));
    run_for(30).await;
    assert_eq!(log.take(), [(2, 5), (3, 20), (1, 20)]);
    assert!(!a.reschedule(log.start + ms(50)), "it has run");

    let d = call_later(ms(10), log.cb(4));
    d.cancel();
    assert!(!d.reschedule(Instant::now()), "it was cancelled");
    run_for(30).await;
    assert!(log.ids().is_empty());
}

#[tokio::test(start_paused = true)]
async fn rescheduling_into_the_past_makes_it_due_at_once() {
    let log = Log::new();
    run_for(10).await;
    let a = call_later(ms(100), log.cb(1));
    assert!(a.reschedule(log.start));
    run_for(1).await;
    assert_eq!(log.take(), [(1, 10)]);
}

#[tokio::test(start_paused = true)]
async fn many_cancelled_timers_do_not_stop_the_rest() {
    // Enough cancellations to trigger the heap's sweep of dead entries.
    let log = Log::new();
    let drops = Arc::new(AtomicUsize::new(0));
    let mut keep = Vec::new();
    for i in 0..1_000u32 {
        let guard = DropGuard(drops.clone());
        let cb = log.cb(i);
        let handle = call_later(ms(u64::from(i % 50) + 1), move || {
            let _guard = guard;
            cb();
        });
        if i % 10 == 0 {
            keep.push(i);
        } else {
            handle.cancel();
        }
    }
    assert_eq!(drops.load(Ordering::SeqCst), 900);
    run_for(100).await;
    let mut ran = log.ids();
    ran.sort_unstable();
    assert_eq!(ran, keep);
    assert_eq!(drops.load(Ordering::SeqCst), 1_000);
}

#[tokio::test(start_paused = true)]
async fn call_every_ticks_every_period_until_cancelled() {
    let log = Log::new();
    let ticks = Arc::new(AtomicUsize::new(0));
    let count = ticks.clone();
    let inner = log.clone();
    let handle = call_every(ms(10), move || {
        count.fetch_add(1, Ordering::SeqCst);
        inner.record(0);
    });
    assert_eq!(handle.when(), log.start + ms(10));
    run_for(35).await;
    assert_eq!(handle.when(), log.start + ms(40));
    assert!(handle.cancel());
    assert!(handle.is_cancelled());
    run_for(100).await;
    assert_eq!(log.take(), [(0, 10), (0, 20), (0, 30)]);
}

#[tokio::test(start_paused = true)]
async fn call_every_can_cancel_itself_from_its_callback() {
    let log = Log::new();
    let me: Arc<Mutex<Option<TimerHandle>>> = Arc::default();
    let slot = me.clone();
    let inner = log.clone();
    let mut n = 0;
    let handle = call_every(ms(10), move || {
        n += 1;
        inner.record(n);
        if n == 3 {
            assert!(slot.lock().unwrap().as_ref().unwrap().cancel());
        }
    });
    *me.lock().unwrap() = Some(handle.clone());
    run_for(100).await;
    assert_eq!(log.take(), [(1, 10), (2, 20), (3, 30)]);
    assert!(handle.is_cancelled());
}

/// Starts a 10 ms periodic timer with `missed`, jumps the clock 35 ms in
/// one step, and returns the first four ticks (ms since start).
async fn ticks_after_a_jump(missed: MissedTickBehavior) -> Vec<u64> {
    let log = Log::new();
    let inner = log.clone();
    let handle = call_every_with(ms(10), missed, move || inner.record(0));
    advance(ms(35)).await;
    while log.runs.lock().unwrap().len() < 4 {
        sleep(ms(1)).await;
    }
    handle.cancel();
    log.take().into_iter().take(4).map(|(_, at)| at).collect()
}

#[tokio::test(start_paused = true)]
async fn call_every_burst_runs_missed_ticks_at_once() {
    assert_eq!(
        ticks_after_a_jump(MissedTickBehavior::Burst).await,
        [35, 35, 35, 40]
    );
}

#[tokio::test(start_paused = true)]
async fn call_every_delay_shifts_the_schedule() {
    assert_eq!(
        ticks_after_a_jump(MissedTickBehavior::Delay).await,
        [35, 45, 55, 65]
    );
}

#[tokio::test(start_paused = true)]
async fn call_every_skip_keeps_the_schedule_and_drops_missed_ticks() {
    assert_eq!(
        ticks_after_a_jump(MissedTickBehavior::Skip).await,
        [35, 40, 50, 60]
    );
}

#[tokio::test(start_paused = true)]
async fn rescheduling_a_periodic_timer_restarts_its_period() {
    let log = Log::new();
    let inner = log.clone();
    let handle = call_every(ms(10), move || inner.record(0));
    run_for(15).await;
    assert!(handle.reschedule(log.start + ms(50)));
    run_for(50).await;
    handle.cancel();
    assert_eq!(log.take(), [(0, 10), (0, 50), (0, 60)]);
}

#[tokio::test(start_paused = true)]
async fn a_periodic_callback_can_move_its_own_next_tick() {
    let log = Log::new();
    let me: Arc<Mutex<Option<TimerHandle>>> = Arc::default();
    let slot = me.clone();
    let inner = log.clone();
    let mut n = 0;
    let handle = call_every(ms(10), move || {
        n += 1;
        inner.record(n);
        if n == 1 {
            let me = slot.lock().unwrap().clone().unwrap();
            // While it runs, the move applies to the tick after this one.
            assert!(me.reschedule(inner.start + ms(35)));
        }
    });
    *me.lock().unwrap() = Some(handle.clone());
    run_for(50).await;
    handle.cancel();
    assert_eq!(log.take(), [(1, 10), (2, 35), (3, 45)]);
}

#[test]
#[should_panic(expected = "`period` must be non-zero")]
fn call_every_with_a_zero_period_panics() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let _ = call_every(Duration::ZERO, || {});
    });
}

#[test]
#[should_panic(expected = "must be called from the context of a Tokio 1.x runtime")]
fn calling_outside_a_runtime_panics() {
    let _ = call_later(ms(1), || {});
}

#[tokio::test(start_paused = true)]
async fn a_panicking_callback_does_not_stop_the_driver() {
    let log = Log::new();
    let _a = call_later(ms(10), || panic!("boom (expected by the test)"));
    let _b = call_later(ms(10), log.cb(1));
    let _c = call_later(ms(20), log.cb(2));
    // A periodic callback that panics stops; the others go on.
    let mut n = 0;
    let inner = log.clone();
    let periodic = call_every(ms(5), move || {
        n += 1;
        inner.record(100 + n);
        assert!(n < 2, "periodic boom (expected by the test)");
    });
    run_for(50).await;
    assert_eq!(log.take(), [(101, 5), (1, 10), (102, 10), (2, 20)]);
    assert!(!periodic.is_cancelled(), "it stopped by panicking");
    assert!(!periodic.cancel());
}

#[tokio::test(start_paused = true)]
async fn spawn_forms_run_the_future_as_a_task() {
    let log = Log::new();
    let spawned = {
        let log = log.clone();
        move |id| {
            let log = log.clone();
            async move {
                log.record(id);
                sleep(ms(5)).await;
                log.record(id + 10);
            }
        }
    };
    let _a = spawn_later(ms(10), spawned(1));
    let _b = spawn_soon(spawned(2));
    let _c = spawn_at(log.start + ms(20), spawned(3));
    run_for(50).await;
    assert_eq!(
        log.take(),
        [(2, 0), (12, 5), (1, 10), (11, 15), (3, 20), (13, 25)]
    );
}

#[tokio::test(start_paused = true)]
async fn cancelling_a_spawn_form_drops_the_future_unpolled() {
    let drops = Arc::new(AtomicUsize::new(0));
    let polled = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(drops.clone());
    let count = polled.clone();
    let handle = spawn_later(ms(10), async move {
        let _guard = guard;
        count.fetch_add(1, Ordering::SeqCst);
    });
    assert!(handle.cancel());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    run_for(20).await;
    assert_eq!(polled.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_scheduler_cancels_all_its_timers() {
    let log = Log::new();
    let drops = Arc::new(AtomicUsize::new(0));
    let scheduler = Scheduler::new();
    let mut handles = Vec::new();
    for id in 0..10u32 {
        let guard = DropGuard(drops.clone());
        let cb = log.cb(id);
        handles.push(scheduler.call_later(ms(10 * u64::from(id)), move || {
            let _guard = guard;
            cb();
        }));
    }
    let inner = log.clone();
    handles.push(scheduler.call_every(ms(7), move || inner.record(100)));
    let future_guard = DropGuard(drops.clone());
    handles.push(scheduler.spawn_later(ms(1), async move { drop(future_guard) }));
    run_for(25).await;
    drop(scheduler);
    // 0, 1, 2 ran (and dropped their guards), the spawned future ran; the
    // seven still pending were dropped by the drop of the scheduler.
    assert_eq!(drops.load(Ordering::SeqCst), 11);
    run_for(1_000).await;
    assert_eq!(
        log.take(),
        [(0, 0), (100, 7), (1, 10), (100, 14), (2, 20), (100, 21)]
    );
    assert!(handles[5].is_cancelled());
    assert!(handles[10].is_cancelled(), "the periodic timer too");
    assert!(!handles[0].is_cancelled(), "it had run");
}

#[tokio::test(start_paused = true)]
async fn closing_a_scheduler_from_its_own_callback_stops_the_ones_due_with_it() {
    let log = Log::new();
    let scheduler = Arc::new(Scheduler::new());
    let owner = scheduler.clone();
    let first = log.cb(1);
    scheduler.call_later(ms(10), move || {
        first();
        assert!(owner.close());
    });
    let b = scheduler.call_later(ms(10), log.cb(2));
    // A timer of the default scheduler is not affected.
    let _c = call_later(ms(10), log.cb(3));
    run_for(20).await;
    // Two drivers ran at 10 ms, in either order.
    let mut ids = log.ids();
    ids.sort_unstable();
    assert_eq!(ids, [1, 3]);
    assert!(b.is_cancelled());
    assert!(scheduler.is_closed());
    assert!(scheduler.call_soon(log.cb(4)).is_cancelled());
    assert!(!b.reschedule(Instant::now()));
}

#[tokio::test(start_paused = true)]
async fn schedulers_run_their_own_timers_independently() {
    let log = Log::new();
    let one = Scheduler::new();
    let two = Scheduler::default();
    one.call_later(ms(10), log.cb(1));
    two.call_later(ms(5), log.cb(2));
    one.call_at(log.start + ms(1), log.cb(3));
    run_for(20).await;
    assert_eq!(log.take(), [(3, 1), (2, 5), (1, 10)]);
    drop(one);
    assert!(!two.is_closed());
}

#[test]
fn runtime_shutdown_cancels_pending_timers_and_a_new_runtime_gets_its_own_driver() {
    let build = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
    };
    let drops = Arc::new(AtomicUsize::new(0));
    let rt = build();
    let guard = DropGuard(drops.clone());
    let (handle, scheduler) = rt.block_on(async {
        let handle = call_later(ms(10), move || drop(guard));
        // Let the default driver start.
        tokio::task::yield_now().await;
        (handle, Scheduler::new())
    });
    drop(rt);
    assert!(handle.is_cancelled());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(scheduler.is_closed());

    let rt = build();
    let ran = rt.block_on(async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let _handle = call_later(ms(10), move || tx.send(()).unwrap());
        rx.await.is_ok()
    });
    assert!(ran);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_threads_schedule_and_cancel_concurrently() {
    // Real clock, short delays: every kept timer runs exactly once and no
    // cancelled one runs, whichever thread scheduled or cancelled it.
    const N: usize = 400;
    let ran: Arc<Vec<AtomicUsize>> = Arc::new((0..N).map(|_| AtomicUsize::new(0)).collect());
    let mut tasks = Vec::new();
    for t in 0..4 {
        let ran = ran.clone();
        tasks.push(tokio::spawn(async move {
            let mut handles = Vec::new();
            for i in (t..N).step_by(4) {
                let ran = ran.clone();
                handles.push((
                    i,
                    call_later(ms(1), move || {
                        ran[i].fetch_add(1, Ordering::SeqCst);
                    }),
                ));
            }
            let cancelled: Vec<usize> = handles
                .iter()
                .filter(|(i, h)| i % 2 == 0 && h.cancel())
                .map(|(i, _)| *i)
                .collect();
            cancelled
        }));
    }
    let mut cancelled = Vec::new();
    for task in tasks {
        cancelled.extend(task.await.unwrap());
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let _last = call_later(ms(5), move || tx.send(()).unwrap());
    rx.await.unwrap();
    for (i, count) in ran.iter().enumerate() {
        let expected = usize::from(!cancelled.contains(&i));
        assert_eq!(count.load(Ordering::SeqCst), expected, "timer {i}");
    }
}

#[test]
fn public_types_are_send_sync_and_unpin() {
    fn assert_traits<T: Send + Sync + Unpin>() {}
    assert_traits::<TimerHandle>();
    assert_traits::<Scheduler>();
    fn assert_clone_debug<T: Clone + std::fmt::Debug>() {}
    assert_clone_debug::<TimerHandle>();
}

#[tokio::test(start_paused = true)]
async fn handles_and_schedulers_print_their_state() {
    let scheduler = Scheduler::new();
    let handle = scheduler.call_later(ms(10), || {});
    assert!(format!("{handle:?}").contains("Pending"));
    handle.cancel();
    assert!(format!("{handle:?}").contains("Cancelled"));
    assert_eq!(format!("{scheduler:?}"), "Scheduler { closed: false }");
}
