//! `offload`, `offload_with`, `CpuPool` and `offload_blocking`.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use async_kit::offload::{
    CancelFlag, CpuPool, Figures, Offload, OffloadError, TryOffloadError, offload,
    offload_blocking, offload_with,
};

/// A CPU-heavy job: spins until `ticks` reaches `wanted`, or `budget`
/// iterations pass. Returns whether it saw the ticks (stopped early).
fn spin_until_ticks(ticks: &AtomicU64, wanted: u64, budget: u64) -> bool {
    for i in 0..budget {
        black_box(i);
        if ticks.load(Ordering::Relaxed) >= wanted {
            return true;
        }
    }
    false
}

/// A ticker task that counts its turns on the (current-thread) runtime.
fn start_ticker(ticks: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            ticks.fetch_add(1, Ordering::Relaxed);
            tokio::task::yield_now().await;
        }
    })
}

#[tokio::test(flavor = "current_thread")]
async fn ticker_keeps_ticking_while_an_offloaded_job_runs() {
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = start_ticker(Arc::clone(&ticks));
    tokio::task::yield_now().await;
    let before = ticks.load(Ordering::Relaxed);

    let seen = Arc::clone(&ticks);
    // The job can only end early if the ticker runs while it computes; the
    // budget (seconds of spinning) makes a starved ticker fail, not hang.
    let stopped_early = offload(move || spin_until_ticks(&seen, before + 100, 2_000_000_000))
        .await
        .unwrap();
    assert!(stopped_early);
    assert!(ticks.load(Ordering::Relaxed) >= before + 100);
    ticker.abort();
}

#[tokio::test(flavor = "current_thread")]
async fn ticker_starves_while_the_same_job_runs_inline() {
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = start_ticker(Arc::clone(&ticks));
    tokio::task::yield_now().await;
    let before = ticks.load(Ordering::Relaxed);

    let stopped_early = spin_until_ticks(&ticks, before + 100, 2_000_000);
    assert!(!stopped_early);
    assert_eq!(ticks.load(Ordering::Relaxed), before);
    ticker.abort();
}

#[tokio::test]
async fn a_panic_comes_back_with_its_payload_and_the_pool_survives() {
    let pool = CpuPool::builder().threads(1).build().unwrap();
    let err = pool
        .offload(|| -> u8 { panic!("bad pixel {}", black_box(7)) })
        .await
        .unwrap_err();
    assert!(err.is_panic());
    assert!(!err.is_cancelled());
    assert_eq!(err.to_string(), "job panicked: bad pixel 7");
    assert_eq!(format!("{err:?}"), r#"Panicked("bad pixel 7")"#);
    let payload = err.into_panic();
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "bad pixel 7");

    assert_eq!(pool.offload(|| 5).await.unwrap(), 5);
    let figures = pool.figures();
    assert_eq!((figures.panicked, figures.completed), (1, 1));
}

#[tokio::test]
async fn a_panic_with_a_foreign_payload_is_kept_whole() {
    #[derive(Debug, PartialEq)]
    struct Code(u32);
    let err = offload(|| std::panic::panic_any(Code(3)))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "job panicked");
    let payload = err.try_into_panic().unwrap();
    assert_eq!(payload.downcast_ref::<Code>(), Some(&Code(3)));
}

/// Occupies the only thread of `pool` until the returned sender is used.
fn block_pool(pool: &CpuPool) -> (mpsc::Sender<()>, Offload<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = pool.offload(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    started_rx.recv().unwrap();
    (release_tx, blocker)
}

#[tokio::test]
async fn dropping_the_future_before_the_job_starts_skips_the_job() {
    let pool = CpuPool::builder().threads(1).build().unwrap();
    let (release, blocker) = block_pool(&pool);

    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let skipped = pool.offload(move || flag.store(true, Ordering::SeqCst));
    assert_eq!(pool.figures().queued, 1);
    drop(skipped);

    release.send(()).unwrap();
    blocker.await.unwrap();
    // The pool runs jobs in order on its one thread: once this one ran, the
    // dropped one was dealt with.
    pool.offload(|| ()).await.unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    let figures = pool.figures();
    assert_eq!(
        (figures.skipped, figures.completed, figures.queued),
        (1, 2, 0)
    );
}

#[tokio::test]
async fn dropping_the_future_of_a_running_job_sets_its_cancel_flag() {
    let pool = CpuPool::builder().threads(1).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (stopped_tx, stopped_rx) = mpsc::channel();
    let job = pool.offload_with(move |cancel: &CancelFlag| {
        started_tx.send(()).unwrap();
        let mut spins = 0_u64;
        while !cancel.is_cancelled() {
            spins = black_box(spins + 1);
        }
        stopped_tx.send(()).unwrap();
    });
    started_rx.recv().unwrap();
    assert_eq!(pool.figures().running, 1);
    drop(job);
    stopped_rx.recv().unwrap();
}

#[tokio::test]
async fn a_job_that_is_not_dropped_never_sees_its_flag_set() {
    let seen = offload_with(|cancel| cancel.is_cancelled()).await.unwrap();
    assert!(!seen);
}

#[tokio::test(start_paused = true)]
async fn a_deadline_sets_the_cancel_flag() {
    let (started_tx, started_rx) = mpsc::channel();
    let (stopped_tx, stopped_rx) = mpsc::channel();
    let job = offload_with(move |cancel| {
        started_tx.send(()).unwrap();
        while !cancel.is_cancelled() {
            std::hint::spin_loop();
        }
        stopped_tx.send(()).unwrap();
    });
    started_rx.recv().unwrap();
    let err = async_kit::time::timeout(Duration::from_millis(50), job)
        .await
        .unwrap_err();
    assert!(!err.is_inherited());
    stopped_rx.recv().unwrap();
}

#[tokio::test]
async fn a_full_queue_hands_the_closure_back_and_offload_waits_for_room() {
    let pool = CpuPool::builder()
        .threads(1)
        .queue_capacity(2)
        .build()
        .unwrap();
    let (release, blocker) = block_pool(&pool);

    let first = pool.try_offload(|| 1).unwrap();
    let second = pool.try_offload(|| 2).unwrap();
    let err: TryOffloadError<_> = pool.try_offload(|| 3).unwrap_err();
    assert_eq!(err.to_string(), "cpu pool queue is full");
    let third_closure = err.into_inner();

    // `offload` accepts it, and submits once a slot frees up.
    let mut third = tokio_test::task::spawn(pool.offload(third_closure));
    tokio_test::assert_pending!(third.poll());
    let figures = pool.figures();
    assert_eq!((figures.running, figures.queued), (1, 2));

    release.send(()).unwrap();
    blocker.await.unwrap();
    assert_eq!(first.await.unwrap(), 1);
    assert_eq!(second.await.unwrap(), 2);
    assert_eq!(third.await.unwrap(), 3);
    assert_eq!(pool.figures().completed, 4);
}

#[tokio::test]
async fn a_job_waiting_for_room_is_never_submitted_if_dropped() {
    let pool = CpuPool::builder()
        .threads(1)
        .queue_capacity(1)
        .build()
        .unwrap();
    let (release, blocker) = block_pool(&pool);
    let queued = pool.try_offload(|| ()).unwrap();

    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let mut waiting =
        tokio_test::task::spawn(pool.offload(move || flag.store(true, Ordering::SeqCst)));
    tokio_test::assert_pending!(waiting.poll());
    drop(waiting);

    release.send(()).unwrap();
    blocker.await.unwrap();
    queued.await.unwrap();
    pool.offload(|| ()).await.unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(pool.figures().completed, 3);
}

#[tokio::test]
async fn a_bounded_queue_never_holds_more_than_its_capacity() {
    let pool = CpuPool::builder()
        .threads(2)
        .queue_capacity(3)
        .build()
        .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let max_running = Arc::new(AtomicUsize::new(0));
    let mut jobs = Vec::new();
    let mut max_queued = 0;
    for _ in 0..200 {
        let (running, max_running) = (Arc::clone(&running), Arc::clone(&max_running));
        // `offload` waits for room; awaiting it here would serialise, so the
        // futures are polled together below.
        jobs.push(pool.offload(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            max_running.fetch_max(now, Ordering::SeqCst);
            for i in 0..10_000_u32 {
                black_box(i);
            }
            running.fetch_sub(1, Ordering::SeqCst);
        }));
        max_queued = max_queued.max(pool.figures().queued);
    }
    for job in jobs {
        job.await.unwrap();
        max_queued = max_queued.max(pool.figures().queued);
    }
    assert!(max_queued <= 3, "queued {max_queued}");
    assert!(max_running.load(Ordering::SeqCst) <= 2);
    assert_eq!(pool.figures().completed, 200);
}

#[tokio::test]
async fn pools_have_names_and_threads() {
    let pool = CpuPool::builder().name("img").threads(2).build().unwrap();
    let name = pool
        .offload(|| std::thread::current().name().unwrap().to_owned())
        .await
        .unwrap();
    assert!(name.starts_with("img-"), "{name}");
    assert_eq!(pool.threads(), 2);
    assert_eq!(pool.queue_capacity(), None);
    assert_eq!(CpuPool::global().name(), "async-kit-cpu");
    let debug = format!("{pool:?}");
    assert!(debug.contains(r#"name: "img""#), "{debug}");
}

#[tokio::test]
async fn the_last_handle_can_go_while_jobs_are_queued() {
    let pool = CpuPool::builder().threads(1).build().unwrap();
    let (release, blocker) = block_pool(&pool);
    let queued = pool.offload(|| 9);
    drop(pool);
    release.send(()).unwrap();
    blocker.await.unwrap();
    assert_eq!(queued.await.unwrap(), 9);
}

#[test]
#[should_panic = "a CPU pool needs at least one thread"]
fn zero_threads_panics() {
    let _ = CpuPool::builder().threads(0);
}

#[test]
#[should_panic = "a bounded queue needs room for one job"]
fn a_zero_queue_panics() {
    let _ = CpuPool::builder().queue_capacity(0);
}

#[test]
fn offload_blocking_runs_on_the_blocking_pool_and_catches_panics() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .thread_name("blocking-io")
        .build()
        .unwrap();
    rt.block_on(async {
        let name = offload_blocking(|| std::thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(name.as_deref(), Some("blocking-io"));
        let err = offload_blocking(|| panic!("disk on fire"))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "job panicked: disk on fire");
    });
}

/// A runtime whose only blocking thread is busy until the sender is used.
fn runtime_with_busy_blocking_pool() -> (
    tokio::runtime::Runtime,
    mpsc::Sender<()>,
    impl std::future::Future<Output = Result<(), OffloadError>>,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = {
        let _enter = rt.enter();
        offload_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        })
    };
    started_rx.recv().unwrap();
    (rt, release_tx, blocker)
}

#[test]
fn offload_blocking_jobs_cancelled_by_shutdown_say_so() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let handle = rt.handle().clone();
    rt.shutdown_background();
    let queued = {
        let _enter = handle.enter();
        offload_blocking(|| 1)
    };

    let other = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = other.block_on(queued).unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(err.to_string(), "job was cancelled before it ran");
    assert!(err.try_into_panic().is_err());
}

#[test]
fn dropping_an_offload_blocking_future_before_start_skips_the_job() {
    let (rt, release, blocker) = runtime_with_busy_blocking_pool();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let (skipped, after) = {
        let _enter = rt.enter();
        (
            offload_blocking(move || flag.store(true, Ordering::SeqCst)),
            offload_blocking(|| 2),
        )
    };
    drop(skipped);
    release.send(()).unwrap();
    rt.block_on(blocker).unwrap();
    // The one blocking thread takes jobs in order: the dropped one came first.
    assert_eq!(rt.block_on(after).unwrap(), 2);
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn send_unpin<T: Send + Unpin>() {}
    fn clone_debug<T: Clone + std::fmt::Debug>() {}
    send_sync::<CpuPool>();
    clone_debug::<CpuPool>();
    send_sync::<CancelFlag>();
    clone_debug::<CancelFlag>();
    send_sync::<Figures>();
    send_sync::<OffloadError>();
    send_sync::<TryOffloadError<fn()>>();
    send_sync::<async_kit::offload::Builder>();
    send_unpin::<Offload<u8>>();
    fn future_send<F: std::future::Future + Send + 'static>(_: &F) {}
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async { future_send(&offload_blocking(|| ())) });
}
