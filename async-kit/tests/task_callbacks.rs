//! Done callbacks on task handles: `task::spawn`, `JoinHandleExt`, and the
//! `DoneCallbacks` core.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::task::{self, CallbackHandle, CallbackId, DoneCallbacks, JoinHandleExt, Outcome};
use tokio::sync::oneshot;
use tokio::time::sleep;

mod callbacks_support;

use callbacks_support::{DropGuard, entries, log, recorder};

#[tokio::test(start_paused = true)]
async fn callbacks_run_in_order_added_on_success() {
    let log = log();
    let handle = task::spawn(async {
        sleep(Duration::from_secs(1)).await;
        7
    });
    for name in ["a", "b", "c"] {
        handle.add_done_callback(recorder(&log, name));
    }
    assert_eq!(handle.await.unwrap(), 7);
    assert_eq!(
        entries(&log),
        ["a: completed 7", "b: completed 7", "c: completed 7"],
        "every callback ran, in order, before the handle returned"
    );
}

#[tokio::test(start_paused = true)]
async fn callbacks_see_an_err_output() {
    let log = log();
    let handle = task::spawn(async { Err::<u8, _>("bad input") });
    handle.add_done_callback(recorder(&log, "a"));
    assert_eq!(handle.await.unwrap(), Err("bad input"));
    assert_eq!(entries(&log), ["a: completed Err(\"bad input\")"]);
}

#[tokio::test(start_paused = true)]
async fn callback_added_after_the_end_runs_at_once() {
    let log = log();
    let handle = task::spawn(async { "done" });
    sleep(Duration::from_millis(1)).await;
    assert!(handle.is_finished());
    handle.add_done_callback(recorder(&log, "late"));
    assert_eq!(
        entries(&log),
        ["late: completed \"done\""],
        "ran before add returned"
    );
    assert_eq!(handle.await.unwrap(), "done", "the output is still there");
}

#[tokio::test(start_paused = true)]
async fn callback_added_after_the_output_was_taken_sees_none() {
    let log = log();
    let mut handle = task::spawn(async { 1 });
    assert_eq!((&mut handle).await.unwrap(), 1);
    handle.add_done_callback(recorder(&log, "late"));
    assert_eq!(entries(&log), ["late: completed, taken"]);
}

#[tokio::test(start_paused = true)]
async fn removed_callback_never_runs() {
    let log = log();
    let handle = task::spawn(async {
        sleep(Duration::from_secs(1)).await;
    });
    handle.add_done_callback(recorder(&log, "a"));
    let b = handle.add_done_callback(recorder(&log, "b"));
    handle.add_done_callback(recorder(&log, "c"));
    assert!(handle.remove_done_callback(b));
    assert!(!handle.remove_done_callback(b), "already removed");
    handle.await.unwrap();
    assert_eq!(entries(&log), ["a: completed ()", "c: completed ()"]);
}

#[tokio::test(start_paused = true)]
async fn removing_after_it_ran_returns_false() {
    let log = log();
    let mut handle = task::spawn(async {});
    let id = handle.add_done_callback(recorder(&log, "a"));
    (&mut handle).await.unwrap();
    assert!(!handle.remove_done_callback(id));
    assert_eq!(entries(&log).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn panicking_task_runs_callbacks_and_keeps_its_panic() {
    let log = log();
    let handle = task::spawn(async {
        sleep(Duration::from_secs(1)).await;
        panic!("task boom");
    });
    handle.add_done_callback(recorder::<()>(&log, "a"));
    handle.add_done_callback(recorder::<()>(&log, "b"));
    let err = handle.await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "task boom");
    assert_eq!(entries(&log), ["a: panicked", "b: panicked"]);
}

#[tokio::test(start_paused = true)]
async fn aborted_task_drops_its_future_then_runs_callbacks() {
    let log = log();
    let guard = DropGuard(log.clone());
    let handle = task::spawn(async move {
        let _guard = guard;
        sleep(Duration::from_secs(60)).await;
    });
    handle.add_done_callback(recorder(&log, "a"));
    sleep(Duration::from_secs(1)).await;
    assert!(entries(&log).is_empty());
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    assert_eq!(entries(&log), ["future dropped", "a: cancelled"]);
}

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("drop boom");
    }
}

#[tokio::test(start_paused = true)]
async fn callbacks_run_even_if_dropping_the_aborted_future_panics() {
    let log = log();
    let handle = task::spawn(async {
        let _bomb = PanicOnDrop;
        sleep(Duration::from_secs(60)).await;
    });
    handle.add_done_callback(recorder(&log, "a"));
    sleep(Duration::from_secs(1)).await;
    handle.abort();
    assert!(handle.await.is_err());
    assert_eq!(entries(&log), ["a: cancelled"]);
}

#[tokio::test(start_paused = true)]
async fn aborted_before_it_ever_ran() {
    let log = log();
    let handle = task::spawn(async { 1 });
    handle.add_done_callback(recorder(&log, "a"));
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    assert_eq!(entries(&log), ["a: cancelled"]);
}

#[tokio::test(start_paused = true)]
async fn abort_after_the_end_changes_nothing() {
    let log = log();
    let handle = task::spawn(async { 1 });
    handle.add_done_callback(recorder(&log, "a"));
    sleep(Duration::from_millis(1)).await;
    handle.abort();
    assert_eq!(handle.await.unwrap(), 1);
    assert_eq!(entries(&log), ["a: completed 1"]);
}

#[tokio::test(start_paused = true)]
async fn panicking_callback_does_not_stop_the_others_or_the_output() {
    let log = log();
    let handle = task::spawn(async {
        sleep(Duration::from_secs(1)).await;
        5
    });
    handle.add_done_callback(recorder(&log, "a"));
    handle.add_done_callback(|_| panic!("callback boom"));
    handle.add_done_callback(recorder(&log, "c"));
    assert_eq!(handle.await.unwrap(), 5);
    assert_eq!(entries(&log), ["a: completed 5", "c: completed 5"]);
}

#[tokio::test(start_paused = true)]
async fn panicking_callback_is_reported_by_the_panic_hook() {
    // The hook is process-wide: record only this test's message and pass
    // every panic on to the previous hook.
    let reported = Arc::new(AtomicUsize::new(0));
    let seen = reported.clone();
    let previous = Arc::new(std::panic::take_hook());
    let forward = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() == Some(&"reported callback boom") {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        forward(info);
    }));
    let handle = task::spawn(async { 1 });
    handle.add_done_callback(|_| panic!("reported callback boom"));
    assert_eq!(handle.await.unwrap(), 1);
    let _ = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| previous(info)));
    assert_eq!(reported.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn panicking_late_callback_is_caught_in_add() {
    let handle = task::spawn(async { 5 });
    sleep(Duration::from_millis(1)).await;
    handle.add_done_callback(|_| panic!("late callback boom"));
    assert_eq!(handle.await.unwrap(), 5);
}

#[tokio::test(start_paused = true)]
async fn dropped_handle_detaches_and_callbacks_still_run() {
    let (tx, rx) = oneshot::channel();
    let handle = task::spawn(async {
        sleep(Duration::from_secs(1)).await;
        9
    });
    handle.add_done_callback(move |outcome| {
        let seen = matches!(outcome, Outcome::Completed(Some(&9)));
        tx.send(seen).unwrap();
    });
    drop(handle);
    assert!(rx.await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn callback_added_from_a_callback_runs_after_the_queue() {
    let log = log();
    let core = Arc::new(DoneCallbacks::<u8>::new());
    let inner_log = log.clone();
    let inner_core = core.clone();
    core.add(move |_| {
        inner_log.lock().unwrap().push("first".to_string());
        let log = inner_log.clone();
        inner_core.add(move |_| log.lock().unwrap().push("added by first".to_string()));
    });
    core.add(recorder(&log, "second"));
    core.complete(4).unwrap();
    assert_eq!(
        entries(&log),
        ["first", "second: completed 4", "added by first"]
    );
}

#[tokio::test(start_paused = true)]
async fn join_handle_with_callbacks_sees_every_outcome() {
    let log = log();
    let ok = tokio::spawn(async { 1 }).with_callbacks();
    ok.add_done_callback(recorder(&log, "ok"));
    assert_eq!(ok.await.unwrap(), 1);

    let panics = tokio::spawn(async { panic!("boom") }).with_callbacks();
    panics.add_done_callback(recorder::<()>(&log, "panics"));
    assert!(panics.await.unwrap_err().is_panic());

    let guard = DropGuard(log.clone());
    let aborted = tokio::spawn(async move {
        let _guard = guard;
        sleep(Duration::from_secs(60)).await;
    })
    .with_callbacks();
    aborted.add_done_callback(recorder(&log, "aborted"));
    sleep(Duration::from_secs(1)).await;
    aborted.abort();
    assert!(aborted.await.unwrap_err().is_cancelled());

    assert_eq!(
        entries(&log),
        [
            "ok: completed 1",
            "panics: panicked",
            "future dropped",
            "aborted: cancelled"
        ]
    );
}

#[test]
fn runtime_shutdown_counts_as_cancelled() {
    let log = log();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (own, watched) = rt.block_on(async {
        let own = task::spawn(std::future::pending::<()>());
        let watched = tokio::spawn(std::future::pending::<()>()).with_callbacks();
        own.add_done_callback(recorder(&log, "own"));
        watched.add_done_callback(recorder(&log, "watched"));
        tokio::task::yield_now().await;
        (own, watched)
    });
    assert!(entries(&log).is_empty());
    drop(rt);
    let mut seen = entries(&log);
    seen.sort();
    assert_eq!(seen, ["own: cancelled", "watched: cancelled"]);
    drop((own, watched));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_from_other_threads_each_run_exactly_once() {
    // A bitmap proves exactly-once: each callback sets its own bit, and a
    // second run would be caught by `fetch_or` seeing the bit already set.
    const N: usize = 64;
    for _ in 0..20 {
        let bits = Arc::new(AtomicUsize::new(0));
        let twice = Arc::new(AtomicUsize::new(0));
        let handle = Arc::new(task::spawn(async { tokio::task::yield_now().await }));
        let adders: Vec<_> = (0..2)
            .map(|half| {
                let handle = handle.clone();
                let bits = bits.clone();
                let twice = twice.clone();
                std::thread::spawn(move || {
                    for i in (half * N / 2)..((half + 1) * N / 2) {
                        let bits = bits.clone();
                        let twice = twice.clone();
                        handle.add_done_callback(move |_| {
                            if bits.fetch_or(1 << i, Ordering::SeqCst) & (1 << i) != 0 {
                                twice.fetch_add(1, Ordering::SeqCst);
                            }
                        });
                    }
                })
            })
            .collect();
        for adder in adders {
            adder.join().unwrap();
        }
        let handle = Arc::into_inner(handle).unwrap();
        handle.await.unwrap();
        assert_eq!(
            bits.load(Ordering::SeqCst),
            usize::MAX >> (usize::BITS as usize - N)
        );
        assert_eq!(twice.load(Ordering::SeqCst), 0);
    }
}

#[test]
fn auto_traits() {
    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    send_sync_unpin::<CallbackHandle<u8>>();
    send_sync_unpin::<DoneCallbacks<u8>>();
    send_sync_unpin::<CallbackId>();
    send_sync_unpin::<Outcome<'static, u8>>();
    send_sync_unpin::<async_kit::task::ReturnWhen>();
    send_sync_unpin::<async_kit::task::AsCompleted<tokio::task::JoinHandle<u8>>>();
}
