//! `TaskPool`: bounds, backpressure, panics, aborts, shutdown, drop, memory.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_kit::task::{
    Builder, Figures, ShutdownReport, SpawnError, SpawnTimeoutError, TaskError, TaskHandle,
    TaskPool, TrySpawnError,
};
use tokio::time::{Instant, sleep};
use tokio_test::{assert_pending, assert_ready, task};

/// Counts drops, to prove that a future was dropped.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Tracks the number of tasks running at once and the highest seen.
#[derive(Default)]
struct MaxCounter {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl MaxCounter {
    fn enter(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A small deterministic pseudo-random sequence (xorshift).
fn durations(n: usize, seed: u64) -> Vec<u64> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + x % 50
        })
        .collect()
}

/// Runs `tasks` tasks of random length: sleeps of 1 to 50 ms under the paused
/// clock, or 1 to 50 yields where the clock cannot be paused.
async fn random_load(pool: &TaskPool, tasks: usize, paused: bool) -> Arc<MaxCounter> {
    let counter = Arc::new(MaxCounter::default());
    let mut handles = Vec::with_capacity(tasks);
    for ms in durations(tasks, 0x9E37_79B9_7F4A_7C15) {
        let counter = counter.clone();
        handles.push(
            pool.spawn(async move {
                counter.enter();
                if paused {
                    sleep(Duration::from_millis(ms)).await;
                } else {
                    for _ in 0..ms {
                        tokio::task::yield_now().await;
                    }
                }
                counter.leave();
                ms
            })
            .await
            .unwrap(),
        );
    }
    for handle in handles {
        assert!(handle.await.unwrap() >= 1);
    }
    // A handle resolves a moment before the pool counts its task.
    pool.join().await;
    counter
}

#[tokio::test(start_paused = true)]
async fn peak_concurrency_equals_the_limit_on_the_current_thread_runtime() {
    let pool = TaskPool::new(16);
    let counter = random_load(&pool, 10_000, true).await;
    assert_eq!(counter.max.load(Ordering::SeqCst), 16);
    let figures = pool.figures();
    assert_eq!(figures.peak_running, 16);
    assert_eq!(figures.completed, 10_000);
    assert_eq!((figures.running, figures.queued), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peak_concurrency_equals_the_limit_on_the_multi_thread_runtime() {
    let pool = TaskPool::builder().limit(8).queue_capacity(8).build();
    let counter = random_load(&pool, 10_000, false).await;
    assert_eq!(counter.max.load(Ordering::SeqCst), 8);
    assert_eq!(pool.figures().peak_running, 8);
    assert_eq!(pool.figures().completed, 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_run_on_several_worker_threads() {
    let pool = TaskPool::new(4);
    let threads = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let mut handles = Vec::new();
    for _ in 0..4 {
        let threads = threads.clone();
        let barrier = barrier.clone();
        handles.push(
            pool.spawn(async move {
                // Four tasks block their thread in turn until all four run,
                // which needs both worker threads to take part.
                barrier.wait().await;
                for _ in 0..20 {
                    threads.lock().unwrap().insert(std::thread::current().id());
                    std::thread::sleep(Duration::from_millis(1));
                    tokio::task::yield_now().await;
                }
            })
            .await
            .unwrap(),
        );
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(threads.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn panics_are_isolated_counted_and_keep_their_payload() {
    let pool = TaskPool::new(4);
    let mut handles = Vec::new();
    for i in 0..100_u32 {
        handles.push(
            pool.spawn(async move {
                tokio::task::yield_now().await;
                if i % 10 == 3 {
                    panic!("task {i} failed");
                }
                i
            })
            .await
            .unwrap(),
        );
    }
    pool.join().await;
    let mut ok = 0;
    for (i, handle) in handles.into_iter().enumerate() {
        match handle.await {
            Ok(v) => {
                assert_eq!(v as usize, i);
                ok += 1;
            }
            Err(err) => {
                assert!(err.is_panic());
                let payload = err.into_panic().downcast::<String>().unwrap();
                assert_eq!(*payload, format!("task {i} failed"));
            }
        }
    }
    assert_eq!(ok, 90);
    let figures = pool.figures();
    assert_eq!((figures.completed, figures.panicked), (90, 10));
    // The pool goes on after panics.
    assert_eq!(pool.spawn(async { 7 }).await.unwrap().await.unwrap(), 7);
}

/// A future whose `Drop` panics after it completed: the task reports the
/// panic, the future is dropped once, and the pool's only worker goes on.
#[tokio::test]
async fn a_panicking_drop_is_the_tasks_panic_and_the_pool_goes_on() {
    struct Bomb(Arc<AtomicUsize>);
    impl Drop for Bomb {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
            panic!("boom in drop");
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let pool = TaskPool::new(1);
    let bomb = Bomb(drops.clone());
    let handle = pool
        .spawn(async move {
            let _bomb = &bomb;
            7
        })
        .await
        .unwrap();
    let err = handle.await.unwrap_err();
    assert!(err.is_panic(), "{err:?}");
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    let next = pool.spawn(async { 8 }).await.unwrap();
    assert_eq!(next.await.unwrap(), 8);
    let figures = pool.figures();
    assert_eq!((figures.panicked, figures.completed), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn shutdown_drops_every_unfinished_future_and_reports() {
    let pool = TaskPool::builder().limit(4).queue_capacity(6).build();
    let drops = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    // 2 finish within the grace period, 1 panics, 7 sleep too long (of
    // which 1 is running and 6 wait in the queue).
    for ms in [
        10_u64, 20, 30, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000,
    ] {
        let guard = DropGuard(drops.clone());
        handles.push(
            pool.try_spawn(async move {
                let _guard = guard;
                sleep(Duration::from_millis(ms)).await;
                assert!(ms != 30, "thirty");
            })
            .unwrap(),
        );
    }
    assert!(matches!(
        pool.try_spawn(async {}),
        Err(TrySpawnError::Full(_))
    ));
    tokio::task::yield_now().await;
    assert_eq!(pool.figures().running, 4);
    assert_eq!(pool.figures().queued, 6);
    let start = Instant::now();
    let report = pool.shutdown(Duration::from_secs(1)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(
        (report.completed, report.aborted, report.panicked),
        (2, 7, 1)
    );
    assert_eq!(drops.load(Ordering::SeqCst), 10, "every future is dropped");
    let results: Vec<_> = futures::future::join_all(handles).await;
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(results[2].as_ref().unwrap_err().is_panic());
    assert!(
        results[3..]
            .iter()
            .all(|r| r.as_ref().unwrap_err().is_shutdown())
    );
    assert!(pool.is_closed());
    assert_eq!(pool.figures().workers, 0);
    let SpawnError(fut) = pool.spawn(async { 1 }).await.unwrap_err();
    assert_eq!(fut.await, 1);
}

#[tokio::test(start_paused = true)]
async fn shutdown_returns_as_soon_as_the_running_tasks_finish() {
    let pool = TaskPool::new(2);
    for ms in [100_u64, 200] {
        drop(pool.spawn(sleep(Duration::from_millis(ms))).await.unwrap());
    }
    let start = Instant::now();
    let report = pool.shutdown(Duration::from_secs(60)).await;
    assert_eq!(start.elapsed(), Duration::from_millis(200));
    assert_eq!((report.completed, report.aborted), (2, 0));
}

#[tokio::test(start_paused = true)]
async fn a_waiting_spawn_is_woken_by_shutdown_with_its_future() {
    let pool = TaskPool::new(1);
    let _busy = pool.spawn(std::future::pending::<()>()).await.unwrap();
    let mut waiting = task::spawn(pool.spawn(async { 5 }));
    assert_pending!(waiting.poll());
    let report = pool.shutdown(Duration::ZERO).await;
    assert_eq!(report.aborted, 1);
    let SpawnError(fut) = assert_ready!(waiting.poll()).unwrap_err();
    assert_eq!(fut.await, 5);
}

#[tokio::test]
async fn dropping_a_waiting_spawn_neither_runs_nor_leaks_its_future() {
    let pool = TaskPool::new(1);
    let busy = pool.spawn(std::future::pending::<()>()).await.unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(AtomicBool::new(false));
    let guard = DropGuard(drops.clone());
    let flag = ran.clone();
    let mut waiting = task::spawn(pool.spawn(async move {
        let _guard = guard;
        flag.store(true, Ordering::SeqCst);
    }));
    assert_pending!(waiting.poll());
    drop(waiting);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the future is dropped");
    busy.abort();
    pool.join().await;
    assert!(!ran.load(Ordering::SeqCst), "the future never ran");
    assert_eq!(pool.figures().completed, 0);
    // The slot the dropped spawn waited for is free.
    assert!(pool.try_spawn(async {}).is_ok());
}

/// A future that remembers its identity, to check it is handed back.
struct Tagged(u64, Box<u8>);

impl Future for Tagged {
    type Output = u64;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u64> {
        Poll::Ready(self.0)
    }
}

#[tokio::test(start_paused = true)]
async fn try_spawn_and_spawn_timeout_hand_back_the_same_future() {
    let pool = TaskPool::new(1);
    let _busy = pool.try_spawn(std::future::pending::<()>()).unwrap();
    let fut = Tagged(42, Box::new(1));
    let address = &*fut.1 as *const u8;
    let err = pool.try_spawn(fut).unwrap_err();
    assert_eq!(err.to_string(), "task pool is full");
    let TrySpawnError::Full(back) = err else {
        panic!("expected Full")
    };
    assert_eq!(&*back.1 as *const u8, address, "the very same future");
    assert_eq!(back.0, 42);

    let start = Instant::now();
    let err = pool
        .spawn_timeout(Duration::from_millis(300), back)
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(300));
    let SpawnTimeoutError::Elapsed(back) = err else {
        panic!("expected Elapsed")
    };
    assert_eq!(&*back.1 as *const u8, address);
}

#[tokio::test]
async fn the_queue_takes_submissions_beyond_the_limit() {
    let pool = TaskPool::builder().limit(2).queue_capacity(3).build();
    let gate = Arc::new(tokio::sync::Notify::new());
    let counter = Arc::new(MaxCounter::default());
    let mut handles = Vec::new();
    for _ in 0..5 {
        let gate = gate.clone();
        let counter = counter.clone();
        // Each returns at once: 2 run and 3 are queued.
        handles.push(
            pool.try_spawn(async move {
                counter.enter();
                gate.notified().await;
                counter.leave();
            })
            .unwrap(),
        );
    }
    assert!(pool.try_spawn(async {}).is_err());
    tokio::task::yield_now().await;
    let figures = pool.figures();
    assert_eq!((figures.running, figures.queued), (2, 3));
    for _ in 0..5 {
        // Let each started task register, then release it.
        while counter.now.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        gate.notify_one();
        tokio::task::yield_now().await;
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(counter.max.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn aborting_drops_the_future_queued_or_running() {
    let pool = TaskPool::builder().limit(1).queue_capacity(1).build();
    let drops = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let make = |drops: &Arc<AtomicUsize>| {
        let guard = DropGuard(drops.clone());
        let started = started.clone();
        async move {
            let _guard = guard;
            started.fetch_add(1, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
    };
    let running = pool.try_spawn(make(&drops)).unwrap();
    let queued = pool.try_spawn(make(&drops)).unwrap();
    tokio::task::yield_now().await;
    assert_eq!(started.load(Ordering::SeqCst), 1);
    queued.abort();
    running.abort();
    assert!(running.await.unwrap_err().is_aborted());
    assert!(queued.await.unwrap_err().is_aborted());
    pool.join().await;
    assert_eq!(
        started.load(Ordering::SeqCst),
        1,
        "the queued one never ran"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(pool.figures().aborted, 2);
}

#[tokio::test]
async fn a_finished_task_keeps_its_output_when_aborted_late() {
    let pool = TaskPool::new(1);
    let handle = pool.spawn(async { 11 }).await.unwrap();
    pool.join().await;
    assert!(handle.is_finished());
    handle.abort();
    assert_eq!(handle.await.unwrap(), 11);
    assert_eq!(pool.figures().aborted, 0);

    // A task stopped by the shutdown is finished too, with an error.
    let stuck = pool.spawn(std::future::pending::<()>()).await.unwrap();
    assert!(!stuck.is_finished());
    pool.shutdown(Duration::ZERO).await;
    assert!(stuck.is_finished());
    assert!(stuck.await.unwrap_err().is_shutdown());
}

#[tokio::test]
async fn dropping_the_last_handle_aborts_every_task() {
    let pool = TaskPool::builder().limit(2).queue_capacity(2).build();
    let drops = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for _ in 0..4 {
        let guard = DropGuard(drops.clone());
        handles.push(
            pool.try_spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            })
            .unwrap(),
        );
    }
    tokio::task::yield_now().await;
    let clone = pool.clone();
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "a clone keeps the pool");
    drop(clone);
    // The queued ones are dropped at once, the running ones by the runtime.
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    for handle in handles {
        assert!(handle.await.unwrap_err().is_shutdown());
    }
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_million_unjoined_tasks_keep_the_bookkeeping_bounded() {
    let pool = TaskPool::new(64);
    let done = Arc::new(AtomicUsize::new(0));
    for i in 0..1_000_000_u32 {
        let done = done.clone();
        // The handle is dropped at once: nobody collects the results.
        drop(
            pool.spawn(async move {
                done.fetch_add(1, Ordering::Relaxed);
            })
            .await
            .unwrap(),
        );
        if i % 4096 == 0 {
            let f = pool.figures();
            assert!(f.running + f.queued <= 64, "{f:?}");
            assert!(f.workers <= 64, "{f:?}");
        }
    }
    pool.join().await;
    let f = pool.figures();
    assert_eq!(f.completed, 1_000_000);
    assert_eq!(done.load(Ordering::SeqCst), 1_000_000);
    assert_eq!((f.running, f.queued), (0, 0));
    assert!(f.workers <= 64);
}

#[tokio::test(start_paused = true)]
async fn resizing_the_pool_changes_the_bound() {
    let pool = TaskPool::builder().limit(2).queue_capacity(100).build();
    let counter = Arc::new(MaxCounter::default());
    let mut handles = Vec::new();
    for _ in 0..100 {
        let counter = counter.clone();
        handles.push(
            pool.try_spawn(async move {
                counter.enter();
                sleep(Duration::from_millis(10)).await;
                counter.leave();
            })
            .unwrap(),
        );
    }
    sleep(Duration::from_millis(25)).await;
    assert_eq!(counter.max.load(Ordering::SeqCst), 2);
    pool.set_limit(6);
    sleep(Duration::from_millis(25)).await;
    assert_eq!(counter.max.load(Ordering::SeqCst), 6);
    pool.set_limit(1);
    // Running tasks finish; then one at a time.
    sleep(Duration::from_millis(10)).await;
    counter.max.store(0, Ordering::SeqCst);
    sleep(Duration::from_millis(50)).await;
    assert_eq!(counter.max.load(Ordering::SeqCst), 1);
    assert!(pool.figures().workers <= 2);
    pool.set_limit(0);
    sleep(Duration::from_millis(20)).await;
    let before = pool.figures().completed;
    sleep(Duration::from_millis(100)).await;
    assert_eq!(pool.figures().completed, before, "a limit of 0 pauses");
    pool.set_limit(3);
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(pool.figures().completed, 100);
}

/// Four tasks admitted under limit 4, held at a start line, then a shrink
/// to 1: they must still run side by side (each waits at a barrier that only
/// all four together pass), and a new admission waits for the lower limit.
///
/// The start line matters on the multi-thread runtime: without it the four
/// could pass the barrier and finish before the shrink, and the test would
/// prove nothing (and see free slots).
async fn shrink_keeps_admitted_tasks_concurrent() {
    let pool = TaskPool::new(4);
    let start = Arc::new(tokio::sync::Semaphore::new(0));
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let counter = Arc::new(MaxCounter::default());
    let mut handles = Vec::new();
    for _ in 0..4 {
        let (start, barrier, counter) = (start.clone(), barrier.clone(), counter.clone());
        let handle = pool
            .spawn(async move {
                start.acquire().await.unwrap().forget();
                counter.enter();
                barrier.wait().await;
                counter.leave();
            })
            .await
            .unwrap();
        handles.push(handle);
    }
    pool.set_limit(1);
    assert!(
        matches!(pool.try_spawn(async {}), Err(TrySpawnError::Full(_))),
        "a new admission waits for the lower limit"
    );
    start.add_permits(4);
    let all = async {
        for h in handles {
            h.await.unwrap();
        }
    };
    // Serialised tasks would wait at the barrier forever; the timeout turns
    // that into a failure instead of a hang.
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("the four admitted tasks ran side by side");
    assert_eq!(counter.max.load(Ordering::SeqCst), 4);
    // Once they are done the new limit holds.
    let counter = Arc::new(MaxCounter::default());
    let mut handles = Vec::new();
    for _ in 0..4 {
        let counter = counter.clone();
        handles.push(
            pool.spawn(async move {
                counter.enter();
                tokio::task::yield_now().await;
                counter.leave();
            })
            .await
            .unwrap(),
        );
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(counter.max.load(Ordering::SeqCst), 1);
    // A handle can resolve just before its worker counts the task.
    pool.join().await;
    assert_eq!(pool.figures().completed, 8);
}

/// After a shrink, an idle worker that takes a job and finds itself over
/// the limit retires and hands the job back to the *front* of the queue, so
/// the jobs queued behind it do not overtake it. (The current-thread run
/// is the one that reproduces the old bug, `[1, 2, 3, 4, 0]`, every time;
/// on the multi-thread runtime the timing decides.)
async fn a_retiring_worker_keeps_the_queue_order() {
    let pool = TaskPool::builder().limit(2).queue_capacity(8).build();
    // Two tasks that only finish together start both workers.
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    for _ in 0..2 {
        let barrier = barrier.clone();
        drop(
            pool.spawn(async move {
                barrier.wait().await;
            })
            .await
            .unwrap(),
        );
    }
    pool.join().await;
    assert_eq!(pool.figures().workers, 2);
    pool.set_limit(1);
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    for i in 0..5 {
        let order = order.clone();
        drop(
            pool.spawn(async move { order.lock().unwrap().push(i) })
                .await
                .unwrap(),
        );
    }
    pool.join().await;
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    assert_eq!(pool.figures().workers, 1);
}

#[tokio::test(start_paused = true)]
async fn a_retiring_worker_keeps_the_queue_order_current_thread() {
    a_retiring_worker_keeps_the_queue_order().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retiring_worker_keeps_the_queue_order_multi_thread() {
    a_retiring_worker_keeps_the_queue_order().await;
}

#[tokio::test(start_paused = true)]
async fn shrink_keeps_admitted_tasks_concurrent_current_thread() {
    shrink_keeps_admitted_tasks_concurrent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shrink_keeps_admitted_tasks_concurrent_multi_thread() {
    shrink_keeps_admitted_tasks_concurrent().await;
}

#[test]
fn auto_traits() {
    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    send_sync_unpin::<TaskPool>();
    send_sync_unpin::<Builder>();
    send_sync_unpin::<TaskHandle<u8>>();
    send_sync_unpin::<Figures>();
    send_sync_unpin::<ShutdownReport>();
    fn send_unpin<T: Send + Unpin>() {}
    send_unpin::<TaskError>();
    send_sync_unpin::<SpawnError<std::future::Ready<()>>>();
    send_sync_unpin::<TrySpawnError<std::future::Ready<()>>>();
    send_sync_unpin::<SpawnTimeoutError<std::future::Ready<()>>>();
    fn send_fut<F: Future + Send>(_: F) {}
    let pool = TaskPool::new(1);
    send_fut(pool.spawn(async {}));
    send_fut(pool.spawn_timeout(Duration::ZERO, async {}));
    send_fut(pool.join());
    send_fut(pool.shutdown(Duration::ZERO));
}

/// Bursts of submissions to a pool whose workers go idle in between, on
/// both threads: a lost wake-up leaves a task queued with every worker
/// asleep, which the watchdog turns into a failure instead of a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wake_up_is_lost_between_bursts() {
    bursts_finish(TaskPool::builder().limit(8).queue_capacity(8).build()).await;
}

/// The same with workers that park at once, and with workers that watch
/// the queue far longer than a burst takes (one at a time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_wake_up_is_lost_whatever_the_idle_spin() {
    for spin in [Duration::ZERO, Duration::from_millis(1)] {
        let pool = TaskPool::builder()
            .limit(8)
            .queue_capacity(8)
            .idle_spin(spin)
            .build();
        bursts_finish(pool).await;
    }
}

/// On a runtime with more workers than cores the pool's job queue parks
/// waiters instead of spinning, and no worker watches: the bursts still all
/// finish.
#[test]
fn no_wake_up_is_lost_on_an_oversubscribed_runtime() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores + 2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        bursts_finish(TaskPool::builder().limit(8).queue_capacity(8).build()).await;
    });
}

async fn bursts_finish(pool: TaskPool) {
    let bursts = durations(3_000, 0x2545_F491_4F6C_DD1D);
    let all = async {
        for (round, n) in bursts.into_iter().enumerate() {
            let mut handles = Vec::new();
            for i in 0..n {
                handles.push(
                    pool.spawn(async move {
                        if i % 3 == 0 {
                            tokio::task::yield_now().await;
                        }
                        i
                    })
                    .await
                    .unwrap(),
                );
            }
            for (i, h) in handles.into_iter().enumerate() {
                assert_eq!(h.await.unwrap(), i as u64);
            }
            if round % 2 == 0 {
                pool.join().await;
            }
        }
    };
    // A watchdog, not a wait: the bursts take well under a second.
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("a task was stranded: a wake-up was lost");
}
