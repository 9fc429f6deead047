//! Done callbacks on the pool's `TaskHandle`: the rules of `CallbackHandle`
//! (order, every outcome, late adds, removal, panicking callbacks, other
//! threads) for tasks of a `TaskPool`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::task::{CallbackId, Outcome, TaskHandle, TaskPool};
use tokio::sync::oneshot;
use tokio::time::sleep;

mod callbacks_support;

use callbacks_support::{DropGuard, entries, log, recorder};

#[tokio::test(start_paused = true)]
async fn callbacks_run_in_order_added_before_the_handle_returns() {
    let pool = TaskPool::new(2);
    let log = log();
    let handle = pool
        .spawn(async {
            sleep(Duration::from_secs(1)).await;
            7
        })
        .await
        .unwrap();
    for name in ["a", "b", "c"] {
        handle.add_done_callback(recorder(&log, name));
    }
    assert!(entries(&log).is_empty(), "nothing runs before the end");
    assert_eq!(handle.await.unwrap(), 7);
    assert_eq!(
        entries(&log),
        ["a: completed 7", "b: completed 7", "c: completed 7"],
        "every callback ran, in order, before the handle returned the output"
    );
}

#[tokio::test(start_paused = true)]
async fn callbacks_run_before_join_returns_for_a_detached_task() {
    let pool = TaskPool::new(1);
    let log = log();
    let handle = pool.spawn(async { "out" }).await.unwrap();
    handle.add_done_callback(recorder(&log, "a"));
    drop(handle);
    pool.join().await;
    assert_eq!(entries(&log), ["a: completed \"out\""]);
}

#[tokio::test(start_paused = true)]
async fn a_panic_is_seen_and_still_returned_to_the_handle() {
    let pool = TaskPool::new(1);
    let log = log();
    let handle: TaskHandle<u8> = pool
        .spawn(async {
            sleep(Duration::from_secs(1)).await;
            panic!("task failed")
        })
        .await
        .unwrap();
    handle.add_done_callback(recorder(&log, "a"));
    handle.add_done_callback(recorder(&log, "b"));
    let err = handle.await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "task failed");
    assert_eq!(entries(&log), ["a: panicked", "b: panicked"]);
}

#[tokio::test(start_paused = true)]
async fn an_aborted_task_is_cancelled_after_its_future_is_dropped() {
    let pool = TaskPool::new(1);
    let log = log();
    let guard = DropGuard(log.clone());
    let handle = pool
        .spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        })
        .await
        .unwrap();
    handle.add_done_callback(recorder(&log, "a"));
    tokio::task::yield_now().await;
    handle.abort();
    assert!(handle.await.unwrap_err().is_aborted());
    assert_eq!(entries(&log), ["future dropped", "a: cancelled"]);
}

#[tokio::test(start_paused = true)]
async fn a_queued_task_aborted_before_it_starts_is_cancelled() {
    let pool = TaskPool::builder().limit(1).queue_capacity(1).build();
    let log = log();
    let (release, released) = oneshot::channel::<()>();
    let busy = pool.spawn(released).await.unwrap();
    let queued = pool.spawn(async { 1 }).await.unwrap();
    queued.add_done_callback(recorder(&log, "queued"));
    queued.abort();
    release.send(()).unwrap();
    busy.await.unwrap().unwrap();
    assert!(queued.await.unwrap_err().is_aborted());
    assert_eq!(entries(&log), ["queued: cancelled"]);
}

#[tokio::test(start_paused = true)]
async fn the_pool_shutdown_cancels_running_and_queued_tasks() {
    let pool = TaskPool::builder().limit(1).queue_capacity(1).build();
    let log = log();
    let running = pool.spawn(std::future::pending::<()>()).await.unwrap();
    let queued = pool.spawn(async {}).await.unwrap();
    running.add_done_callback(recorder(&log, "running"));
    queued.add_done_callback(recorder(&log, "queued"));
    tokio::task::yield_now().await;
    pool.shutdown(Duration::from_secs(1)).await;
    let mut seen = entries(&log);
    seen.sort();
    assert_eq!(seen, ["queued: cancelled", "running: cancelled"]);
    assert!(running.await.unwrap_err().is_shutdown());
    assert!(queued.await.unwrap_err().is_shutdown());
}

#[tokio::test(start_paused = true)]
async fn callbacks_added_after_the_end_run_at_once() {
    let pool = TaskPool::new(1);
    let log = log();
    let mut handle = pool.spawn(async { "done" }).await.unwrap();
    pool.join().await;
    assert!(handle.is_finished());
    handle.add_done_callback(recorder(&log, "late"));
    assert_eq!(entries(&log), ["late: completed \"done\""], "ran at once");
    handle.add_done_callback(recorder(&log, "later"));
    assert_eq!(entries(&log)[1], "later: completed \"done\"");
    // The output is still there for the handle, and afterwards callbacks
    // see that it was taken.
    assert_eq!((&mut handle).await.unwrap(), "done");
    handle.add_done_callback(recorder(&log, "after await"));
    assert_eq!(entries(&log)[2], "after await: completed, taken");
}

#[tokio::test(start_paused = true)]
async fn late_callbacks_see_a_panic_or_a_cancellation() {
    let pool = TaskPool::new(2);
    let log = log();
    let panicked: TaskHandle<()> = pool.spawn(async { panic!("boom") }).await.unwrap();
    let aborted = pool.spawn(std::future::pending::<()>()).await.unwrap();
    aborted.abort();
    pool.join().await;
    panicked.add_done_callback(recorder(&log, "panicked"));
    aborted.add_done_callback(recorder(&log, "aborted"));
    assert_eq!(entries(&log), ["panicked: panicked", "aborted: cancelled"]);
    assert!(panicked.await.unwrap_err().is_panic());
    assert!(aborted.await.unwrap_err().is_aborted());
}

#[tokio::test(start_paused = true)]
async fn a_removed_callback_never_runs() {
    let pool = TaskPool::new(1);
    let log = log();
    let handle = pool
        .spawn(async {
            sleep(Duration::from_secs(1)).await;
            3
        })
        .await
        .unwrap();
    handle.add_done_callback(recorder(&log, "a"));
    let b = handle.add_done_callback(recorder(&log, "b"));
    handle.add_done_callback(recorder(&log, "c"));
    assert!(handle.remove_done_callback(b));
    assert!(!handle.remove_done_callback(b), "already removed");
    assert_eq!(handle.await.unwrap(), 3);
    assert_eq!(entries(&log), ["a: completed 3", "c: completed 3"]);
}

#[tokio::test(start_paused = true)]
async fn removal_after_the_run_or_without_callbacks_returns_false() {
    let pool = TaskPool::new(1);
    let log = log();
    let other = pool.spawn(async {}).await.unwrap();
    let foreign: CallbackId = other.add_done_callback(|_| {});
    let handle = pool.spawn(async { 1 }).await.unwrap();
    assert!(
        !handle.remove_done_callback(foreign),
        "no callbacks on this handle yet"
    );
    let id = handle.add_done_callback(recorder(&log, "a"));
    pool.join().await;
    assert!(!handle.remove_done_callback(id), "it has run");
    assert_eq!(entries(&log), ["a: completed 1"]);
    drop(other);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_callback_stops_neither_the_others_nor_the_output() {
    let pool = TaskPool::new(1);
    let log = log();
    let handle = pool
        .spawn(async {
            sleep(Duration::from_secs(1)).await;
            vec![1, 2]
        })
        .await
        .unwrap();
    handle.add_done_callback(recorder(&log, "a"));
    handle.add_done_callback(|_| panic!("callback failed"));
    handle.add_done_callback(recorder(&log, "c"));
    assert_eq!(handle.await.unwrap(), [1, 2]);
    assert_eq!(
        entries(&log),
        ["a: completed [1, 2]", "c: completed [1, 2]"]
    );
    // The pool counted the task as completed, not panicked.
    let figures = pool.figures();
    assert_eq!((figures.completed, figures.panicked), (1, 0));

    // A late callback that panics does not take the output either.
    let handle = pool.spawn(async { 5 }).await.unwrap();
    pool.join().await;
    handle.add_done_callback(|_| panic!("late callback failed"));
    handle.add_done_callback(recorder(&log, "late"));
    assert_eq!(handle.await.unwrap(), 5);
    assert_eq!(entries(&log)[2], "late: completed 5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_from_other_threads_each_run_exactly_once() {
    // A bitmap proves exactly-once: each callback sets its own bit, and a
    // second run would be caught by `fetch_or` seeing the bit already set.
    const N: usize = 64;
    let pool = TaskPool::new(2);
    for _ in 0..20 {
        let bits = Arc::new(AtomicUsize::new(0));
        let twice = Arc::new(AtomicUsize::new(0));
        let handle = Arc::new(
            pool.spawn(async {
                tokio::task::yield_now().await;
                9
            })
            .await
            .unwrap(),
        );
        let adders: Vec<_> = (0..2)
            .map(|half| {
                let handle = handle.clone();
                let bits = bits.clone();
                let twice = twice.clone();
                std::thread::spawn(move || {
                    for i in (half * N / 2)..((half + 1) * N / 2) {
                        let bits = bits.clone();
                        let twice = twice.clone();
                        handle.add_done_callback(move |outcome| {
                            assert!(matches!(outcome, Outcome::Completed(Some(9))));
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
        assert_eq!(handle.await.unwrap(), 9);
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
    send_sync_unpin::<TaskHandle<u8>>();
    send_sync_unpin::<CallbackId>();
}
