//! `BackgroundRuntime`: submissions from plain threads, waits, cancellation,
//! shutdown.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use async_kit::bridge::{BackgroundRuntime, ShutdownReport, Submission, SubmitError};

/// Sets a flag when dropped: proves that a future was dropped.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn many_threads_submit_at_once_and_every_result_arrives_exactly_once() {
    const THREADS: u64 = 8;
    const EACH: u64 = 64;
    let runtime = BackgroundRuntime::with_worker_threads(2).unwrap();
    let seen: Arc<Vec<AtomicU64>> = Arc::new((0..THREADS).map(|_| AtomicU64::new(0)).collect());
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (runtime, seen) = (runtime.clone(), Arc::clone(&seen));
            std::thread::spawn(move || {
                let handles: Vec<Submission<(u64, u64)>> = (0..EACH)
                    .map(|i| {
                        runtime
                            .submit(async move {
                                tokio::task::yield_now().await;
                                (t, i)
                            })
                            .unwrap()
                    })
                    .collect();
                for handle in handles {
                    let (t, i) = handle.wait().unwrap();
                    let bit = 1 << i;
                    let before = seen[t as usize].fetch_or(bit, Ordering::SeqCst);
                    assert_eq!(before & bit, 0, "result ({t}, {i}) arrived twice");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    for bits in seen.iter() {
        assert_eq!(bits.load(Ordering::SeqCst), u64::MAX);
    }
    assert_eq!(runtime.in_flight(), 0);
}

#[test]
fn wait_timeout_gives_up_and_the_handle_stays_usable() {
    let runtime = BackgroundRuntime::new().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<&str>();
    let mut handle = runtime.submit(async move { rx.await.unwrap() }).unwrap();
    assert!(handle.wait_timeout(Duration::from_millis(1)).is_none());
    assert!(!handle.is_finished());
    tx.send("late").unwrap();
    assert_eq!(handle.wait().unwrap(), "late");
}

#[test]
fn a_submission_is_awaited_from_another_runtime() {
    let runtime = BackgroundRuntime::new().unwrap();
    let handle = runtime.submit(async { 5 }).unwrap();
    let other = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(other.block_on(handle).unwrap(), 5);
}

#[test]
fn a_panic_comes_back_as_a_join_error() {
    let runtime = BackgroundRuntime::new().unwrap();
    let err = runtime
        .submit(async { panic!("broken") })
        .unwrap()
        .wait()
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "broken");
    // The runtime survives.
    assert_eq!(runtime.submit(async { 1 }).unwrap().wait().unwrap(), 1);
}

#[test]
fn cancel_before_start_means_the_future_never_runs() {
    let runtime = BackgroundRuntime::with_worker_threads(1).unwrap();
    // Blocks the only worker, so the next submission cannot start.
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = runtime
        .submit(async move {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        })
        .unwrap();
    started_rx.recv().unwrap();

    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let never = runtime
        .submit(async move { flag.store(true, Ordering::SeqCst) })
        .unwrap();
    never.cancel();
    release_tx.send(()).unwrap();
    blocker.wait().unwrap();
    assert!(never.wait().unwrap_err().is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn cancel_after_start_drops_the_running_future() {
    let runtime = BackgroundRuntime::new().unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(Arc::clone(&dropped));
    let (started_tx, started_rx) = mpsc::channel();
    let handle = runtime
        .submit(async move {
            let _guard = guard;
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        })
        .unwrap();
    started_rx.recv().unwrap();
    assert!(!dropped.load(Ordering::SeqCst));
    handle.cancel();
    assert!(handle.wait().unwrap_err().is_cancelled());
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn cancel_after_the_end_keeps_the_result() {
    let runtime = BackgroundRuntime::new().unwrap();
    let mut handle = runtime.submit(async { 3 }).unwrap();
    let result = handle.wait_timeout(Duration::from_secs(10)).unwrap();
    handle.cancel();
    assert_eq!(result.unwrap(), 3);
}

#[test]
fn shutdown_finishes_work_in_flight_then_cancels_the_rest() {
    let runtime = BackgroundRuntime::new().unwrap();
    let watcher = runtime.clone();
    // In flight when the shutdown begins; ends as soon as it sees it.
    let polite = runtime
        .submit(async move {
            while !watcher.is_closed() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            "finished"
        })
        .unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(Arc::clone(&dropped));
    let stuck = runtime
        .submit(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        })
        .unwrap();
    assert_eq!(runtime.in_flight(), 2);

    let report = runtime.shutdown(Duration::from_millis(100));
    assert_eq!((report.finished, report.cancelled), (1, 1));
    assert_eq!(polite.wait().unwrap(), "finished");
    assert!(stuck.wait().unwrap_err().is_cancelled());
    assert!(dropped.load(Ordering::SeqCst));
    assert!(runtime.is_closed());
    // A second shutdown has nothing left to do.
    assert_eq!(runtime.shutdown(Duration::ZERO), ShutdownReport::default());
}

#[test]
fn shutdown_with_nothing_in_flight_returns_at_once() {
    let runtime = BackgroundRuntime::new().unwrap();
    runtime.submit(async {}).unwrap().wait().unwrap();
    // A deadline that would fail the test if it were waited for.
    let report = runtime.shutdown(Duration::from_secs(600));
    assert_eq!((report.finished, report.cancelled), (0, 0));
}

#[test]
fn a_submit_after_shutdown_hands_the_future_back() {
    let runtime = BackgroundRuntime::new().unwrap();
    runtime.shutdown(Duration::ZERO);
    let err: SubmitError<_> = runtime.submit(async { 11 }).unwrap_err();
    assert_eq!(err.to_string(), "background runtime is shut down");
    assert_eq!(format!("{err:?}"), "SubmitError { .. }");
    let other = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(other.block_on(err.into_inner()), 11);
}

#[test]
fn dropping_the_last_handle_cancels_work_in_flight() {
    let runtime = BackgroundRuntime::new().unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(Arc::clone(&dropped));
    let handle = runtime
        .submit(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        })
        .unwrap();
    drop(runtime);
    assert!(handle.wait().unwrap_err().is_cancelled());
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn from_handle_submits_to_a_running_runtime_and_leaves_it_running() {
    let app = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("app")
        .enable_all()
        .build()
        .unwrap();
    let bridge = BackgroundRuntime::from_handle(app.handle().clone());
    let from_thread = {
        let bridge = bridge.clone();
        std::thread::spawn(move || {
            bridge
                .submit(async { std::thread::current().name().map(str::to_owned) })
                .unwrap()
                .wait()
                .unwrap()
        })
    };
    assert_eq!(from_thread.join().unwrap().as_deref(), Some("app"));

    let stuck = bridge.submit(std::future::pending::<()>()).unwrap();
    let report = bridge.shutdown(Duration::from_millis(10));
    assert_eq!((report.finished, report.cancelled), (0, 1));
    assert!(stuck.wait().unwrap_err().is_cancelled());
    // The runtime itself still runs.
    assert_eq!(app.block_on(app.spawn(async { 2 })).unwrap(), 2);
}

#[test]
fn submitting_to_a_runtime_that_is_gone_cancels_without_deadlock() {
    let app = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bridge = BackgroundRuntime::from_handle(app.handle().clone());
    drop(app);
    let handle = bridge.submit(async { 1 }).unwrap();
    assert!(handle.wait().unwrap_err().is_cancelled());
    assert_eq!(bridge.in_flight(), 0);
}

#[tokio::test]
#[should_panic = "cannot be called from async code"]
async fn waiting_from_async_code_panics() {
    let runtime = BackgroundRuntime::new().unwrap();
    let handle = runtime.submit(async {}).unwrap();
    let _ = handle.wait();
}

#[test]
fn auto_traits() {
    fn send_sync<T: Send + Sync>() {}
    fn clone_debug<T: Clone + std::fmt::Debug>() {}
    fn send_unpin<T: Send + Unpin + std::fmt::Debug>() {}
    send_sync::<BackgroundRuntime>();
    clone_debug::<BackgroundRuntime>();
    send_sync::<ShutdownReport>();
    send_sync::<SubmitError<std::future::Ready<u8>>>();
    send_sync::<Submission<u8>>();
    send_unpin::<Submission<u8>>();
}
