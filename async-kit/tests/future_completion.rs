//! `CompletionExt`: `on_complete`, `on_cancel` and `on_done`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_kit::future::{CompletionExt, OnCancel, OnComplete, OnDone};
use tokio::time::{advance, sleep};
use tokio_test::{assert_pending, assert_ready, task};

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

fn push(log: &Log, entry: impl Into<String>) {
    log.lock().unwrap().push(entry.into());
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Logs when dropped, to order the callback against the future's cleanup.
struct Guard(Log);

impl Drop for Guard {
    fn drop(&mut self) {
        push(&self.0, "future dropped");
    }
}

#[tokio::test(start_paused = true)]
async fn on_complete_runs_once_after_completion_and_passes_the_output() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mut fut = task::spawn(
        async {
            sleep(Duration::from_secs(1)).await;
            String::from("out")
        }
        .on_complete(move |out: &String| {
            assert_eq!(out, "out");
            counter.fetch_add(1, Ordering::SeqCst);
        }),
    );
    assert_pending!(fut.poll());
    assert_eq!(calls.load(Ordering::SeqCst), 0, "not while pending");
    advance(Duration::from_secs(1)).await;
    assert_eq!(assert_ready!(fut.poll()), "out");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    drop(fut);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "not again on drop");
}

#[tokio::test(start_paused = true)]
async fn on_complete_does_not_run_when_cancelled() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let fut = sleep(Duration::from_secs(5)).on_complete(move |()| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    assert!(
        tokio::time::timeout(Duration::from_secs(1), fut)
            .await
            .is_err()
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn on_cancel_runs_on_drop_before_the_future_is_dropped() {
    let log = log();
    let guard = Guard(log.clone());
    let callback_log = log.clone();
    let mut fut = task::spawn(
        async move {
            let _guard = guard;
            sleep(Duration::from_secs(5)).await;
        }
        .on_cancel(move || push(&callback_log, "on_cancel")),
    );
    assert_pending!(fut.poll());
    assert!(entries(&log).is_empty());
    drop(fut);
    assert_eq!(entries(&log), ["on_cancel", "future dropped"]);
}

#[tokio::test(start_paused = true)]
async fn on_cancel_runs_for_a_future_never_polled() {
    let log = log();
    let callback_log = log.clone();
    drop(std::future::pending::<()>().on_cancel(move || push(&callback_log, "cancelled")));
    assert_eq!(entries(&log), ["cancelled"]);
}

#[tokio::test(start_paused = true)]
async fn on_cancel_does_not_run_after_completion() {
    let log = log();
    let callback_log = log.clone();
    let out = async { 3 }
        .on_cancel(move || push(&callback_log, "cancelled"))
        .await;
    assert_eq!(out, 3);
    assert!(entries(&log).is_empty());
}

#[tokio::test(start_paused = true)]
async fn on_cancel_runs_when_the_task_is_aborted() {
    let log = log();
    let callback_log = log.clone();
    let handle = tokio::spawn(
        std::future::pending::<()>().on_cancel(move || push(&callback_log, "aborted")),
    );
    tokio::task::yield_now().await;
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    assert_eq!(entries(&log), ["aborted"]);
}

#[tokio::test(start_paused = true)]
async fn on_cancel_runs_when_the_future_panics() {
    let log = log();
    let callback_log = log.clone();
    let handle =
        tokio::spawn(async { panic!("boom") }.on_cancel(move || push(&callback_log, "unwound")));
    assert!(handle.await.unwrap_err().is_panic());
    assert_eq!(entries(&log), ["unwound"]);
}

#[tokio::test(start_paused = true)]
async fn on_done_sees_either_outcome_once() {
    let log = log();
    let record = {
        let log = log.clone();
        move |out: Option<&u32>| push(&log, format!("{out:?}"))
    };
    assert_eq!(async { 1 }.on_done(record.clone()).await, 1);
    let mut fut = task::spawn(
        async {
            sleep(Duration::from_secs(1)).await;
            2
        }
        .on_done(record.clone()),
    );
    assert_pending!(fut.poll());
    drop(fut);
    drop(std::future::pending::<u32>().on_done(record));
    assert_eq!(entries(&log), ["Some(1)", "None", "None"]);
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "`OnComplete` polled after completion")]
async fn on_complete_polled_after_completion_panics() {
    let mut fut = task::spawn(futures_ready().on_complete(|_| {}));
    assert_ready!(fut.poll());
    let _ = fut.poll();
}

fn futures_ready() -> std::future::Ready<u8> {
    std::future::ready(1)
}

#[test]
fn auto_traits() {
    fn send_sync_unpin<T: Send + Sync + Unpin>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let ready = std::future::ready(1u8);
    send_sync_unpin(&ready.on_complete(|_| {}));
    send_sync_unpin(&std::future::ready(1u8).on_cancel(|| {}));
    send_sync_unpin(&std::future::ready(1u8).on_done(|_| {}));
    // Not `Unpin` when the inner future is not, but still `Send`.
    let pinned = async { sleep(Duration::from_secs(1)).await };
    send(&pinned.on_done(|_| {}));

    fn is_unpin<T: Unpin>() {}
    is_unpin::<OnComplete<std::future::Ready<u8>, fn(&u8)>>();
    is_unpin::<OnCancel<std::future::Ready<u8>, fn()>>();
    is_unpin::<OnDone<std::future::Ready<u8>, fn(Option<&u8>)>>();
}
