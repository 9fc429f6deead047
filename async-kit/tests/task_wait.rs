//! Waiting on groups: `wait`, `as_completed`, `gather` and `try_gather`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::task::{ReturnWhen, as_completed, gather, try_gather, wait};
use futures_util::StreamExt;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep};

/// A task that sleeps `secs` seconds and returns `Ok(secs)`, or `Err(secs)`
/// when `fail` is set.
fn job(secs: u64, fail: bool) -> JoinHandle<Result<u64, u64>> {
    tokio::spawn(async move {
        sleep(Duration::from_secs(secs)).await;
        if fail { Err(secs) } else { Ok(secs) }
    })
}

/// Flattens tokio's `JoinError` away for readable assertions.
fn outputs(done: Vec<Result<Result<u64, u64>, tokio::task::JoinError>>) -> Vec<Result<u64, u64>> {
    done.into_iter().map(Result::unwrap).collect()
}

/// Maps the nested result so that a task's own `Err` counts as an error.
fn flat(handle: JoinHandle<Result<u64, u64>>) -> impl Future<Output = Result<u64, String>> + Unpin {
    Box::pin(async move {
        match handle.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(v)) => Err(format!("failed {v}")),
            Err(e) => Err(e.to_string()),
        }
    })
}

/// Counts drops, to prove that a task was cancelled.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn first_completed_returns_the_first_and_the_rest_in_input_order() {
    let start = Instant::now();
    let (done, pending) = wait(
        [job(3, false), job(1, false), job(2, false), job(1, false)],
        ReturnWhen::FirstCompleted,
        None,
    )
    .await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(
        outputs(done),
        [Ok(1), Ok(1)],
        "both tasks that ended together"
    );
    assert_eq!(pending.len(), 2);
    let rest: Vec<_> = futures_util::future::join_all(pending).await;
    assert_eq!(outputs(rest), [Ok(3), Ok(2)], "input order");
}

#[tokio::test(start_paused = true)]
async fn all_completed_waits_for_all() {
    let start = Instant::now();
    let (done, pending) = wait(
        [job(3, false), job(1, true), job(2, false)],
        ReturnWhen::AllCompleted,
        None,
    )
    .await;
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(outputs(done), [Err(1), Ok(2), Ok(3)], "completion order");
    assert!(pending.is_empty());
}

#[tokio::test(start_paused = true)]
async fn first_error_returns_at_the_first_err() {
    let start = Instant::now();
    let handles = [job(1, false), job(2, true), job(3, false)].map(flat);
    let (done, pending) = wait(handles, ReturnWhen::FirstError, None).await;
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(done, [Ok(1), Err("failed 2".to_string())]);
    assert_eq!(pending.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn first_error_without_errors_waits_for_all() {
    let start = Instant::now();
    let handles = [job(1, false), job(2, false)].map(flat);
    let (done, pending) = wait(handles, ReturnWhen::FirstError, None).await;
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(done, [Ok(1), Ok(2)]);
    assert!(pending.is_empty());
}

#[tokio::test(start_paused = true)]
async fn first_error_counts_a_panic_as_an_error() {
    let panics: JoinHandle<Result<u64, u64>> = tokio::spawn(async {
        sleep(Duration::from_secs(1)).await;
        panic!("boom")
    });
    let (done, pending) = wait([job(5, false), panics], ReturnWhen::FirstError, None).await;
    assert_eq!(done.len(), 1);
    assert!(done[0].as_ref().unwrap_err().is_panic());
    assert_eq!(pending.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn timeout_returns_what_finished_and_cancels_nothing() {
    for return_when in [
        ReturnWhen::FirstCompleted,
        ReturnWhen::FirstError,
        ReturnWhen::AllCompleted,
    ] {
        let drops = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let guard = DropGuard(drops.clone());
        let slow = tokio::spawn(async move {
            let _guard = guard;
            sleep(Duration::from_secs(10)).await;
            Ok::<_, u64>(10)
        });
        let (done, pending) = wait(
            [slow, job(2, false)],
            return_when,
            Some(Duration::from_millis(1500)),
        )
        .await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(1500),
            "{return_when:?}"
        );
        assert!(done.is_empty(), "{return_when:?}");
        assert_eq!(pending.len(), 2);
        assert_eq!(drops.load(Ordering::SeqCst), 0, "still running");
        let rest: Vec<_> = futures_util::future::join_all(pending).await;
        assert_eq!(outputs(rest), [Ok(10), Ok(2)]);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn first_completed_before_the_timeout_returns_at_once() {
    let start = Instant::now();
    let (done, pending) = wait(
        [job(5, false), job(1, false)],
        ReturnWhen::FirstCompleted,
        Some(Duration::from_secs(3)),
    )
    .await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(outputs(done), [Ok(1)]);
    assert_eq!(pending.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn first_error_before_the_timeout_returns_at_once() {
    let start = Instant::now();
    let handles = [job(5, false), job(1, true)].map(flat);
    let (done, pending) = wait(
        handles,
        ReturnWhen::FirstError,
        Some(Duration::from_secs(3)),
    )
    .await;
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(done, [Err("failed 1".to_string())]);
    assert_eq!(pending.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn timeout_after_some_finished() {
    let (done, pending) = wait(
        [job(1, false), job(3, false), job(2, false)],
        ReturnWhen::AllCompleted,
        Some(Duration::from_millis(2500)),
    )
    .await;
    assert_eq!(outputs(done), [Ok(1), Ok(2)]);
    assert_eq!(pending.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn future_ending_at_the_timeout_counts_as_done() {
    // A plain future is polled inside `wait`, before the timer: a tie goes
    // to the future. (A task ending at the same instant races the timer, as
    // in tokio's own `timeout`.)
    let ending = Box::pin(async {
        sleep(Duration::from_secs(2)).await;
        Ok::<_, ()>(2)
    });
    let (done, pending) = wait(
        [ending],
        ReturnWhen::AllCompleted,
        Some(Duration::from_secs(2)),
    )
    .await;
    assert_eq!(done, [Ok(2)]);
    assert!(pending.is_empty());
}

#[tokio::test(start_paused = true)]
async fn empty_group_returns_at_once() {
    for return_when in [
        ReturnWhen::FirstCompleted,
        ReturnWhen::FirstError,
        ReturnWhen::AllCompleted,
    ] {
        let (done, pending) =
            wait(Vec::<JoinHandle<Result<u8, u8>>>::new(), return_when, None).await;
        assert!(done.is_empty() && pending.is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn wait_takes_callback_handles() {
    let handles = [2, 1].map(|s| {
        async_kit::task::spawn(async move {
            sleep(Duration::from_secs(s)).await;
            s
        })
    });
    let (done, pending) = wait(handles, ReturnWhen::FirstCompleted, None).await;
    assert_eq!(
        done.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        [1]
    );
    let [last] = <[_; 1]>::try_from(pending).unwrap();
    assert_eq!(last.await.unwrap(), 2);
}

#[tokio::test(start_paused = true)]
async fn as_completed_yields_in_completion_order() {
    let start = Instant::now();
    let mut stream = as_completed([job(3, false), job(1, true), job(2, false)], None);
    assert_eq!(stream.len(), 3);
    let mut seen = Vec::new();
    while let Some(out) = stream.next().await {
        seen.push((out.unwrap(), start.elapsed().as_secs()));
    }
    assert_eq!(seen, [(Err(1), 1), (Ok(2), 2), (Ok(3), 3)]);
    assert!(!stream.is_elapsed());
    assert!(stream.is_empty());
}

#[tokio::test(start_paused = true)]
async fn as_completed_ends_at_the_deadline_and_hands_back_the_rest() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(drops.clone());
    let slow = tokio::spawn(async move {
        let _guard = guard;
        sleep(Duration::from_secs(10)).await;
        Ok::<_, u64>(10)
    });
    let start = Instant::now();
    let mut stream = as_completed(
        [slow, job(2, false), job(1, false), job(4, false)],
        Some(Duration::from_millis(2500)),
    );
    assert_eq!(stream.deadline(), Some(start + Duration::from_millis(2500)));
    let mut seen = Vec::new();
    while let Some(out) = stream.next().await {
        seen.push(out.unwrap());
    }
    assert_eq!(seen, [Ok(1), Ok(2)]);
    assert_eq!(start.elapsed(), Duration::from_millis(2500));
    assert!(stream.is_elapsed());
    assert_eq!(stream.next().await.map(|_| ()), None, "stays ended");
    let rest = stream.into_pending();
    assert_eq!(drops.load(Ordering::SeqCst), 0, "nothing cancelled");
    let rest: Vec<_> = futures_util::future::join_all(rest).await;
    assert_eq!(outputs(rest), [Ok(10), Ok(4)], "input order");
}

#[tokio::test(start_paused = true)]
async fn as_completed_yields_a_future_ready_at_the_deadline() {
    let ending = Box::pin(async {
        sleep(Duration::from_secs(1)).await;
        1
    });
    let mut stream = as_completed([ending], Some(Duration::from_secs(1)));
    assert_eq!(stream.next().await, Some(1));
    assert_eq!(stream.next().await, None);
    assert!(!stream.is_elapsed(), "ended because all finished");
}

#[tokio::test(start_paused = true)]
async fn gather_keeps_input_order() {
    let start = Instant::now();
    let out = gather([3u64, 1, 2].map(|s| async move {
        sleep(Duration::from_secs(s)).await;
        s
    }))
    .await;
    assert_eq!(out, [3, 1, 2]);
    assert_eq!(start.elapsed(), Duration::from_secs(3), "ran concurrently");
    assert!(
        gather(Vec::<std::future::Ready<u8>>::new())
            .await
            .is_empty()
    );
}

#[tokio::test(start_paused = true)]
async fn try_gather_ok_keeps_input_order() {
    let out = try_gather([2u64, 1].map(|s| async move {
        sleep(Duration::from_secs(s)).await;
        Ok::<_, String>(s)
    }))
    .await;
    assert_eq!(out, Ok(vec![2, 1]));
}

#[tokio::test(start_paused = true)]
async fn try_gather_fails_fast_and_cancels_the_rest() {
    let drops = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let futures = [1u64, 60, 2, 60].map(|s| {
        let guard = DropGuard(drops.clone());
        let finished = finished.clone();
        async move {
            let _guard = guard;
            sleep(Duration::from_secs(s)).await;
            finished.fetch_add(1, Ordering::SeqCst);
            if s == 2 {
                Err(format!("{s} failed"))
            } else {
                Ok(s)
            }
        }
    });
    let err = try_gather(futures).await.unwrap_err();
    assert_eq!(err, "2 failed");
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        4,
        "every future dropped before try_gather returned"
    );
    assert_eq!(
        finished.load(Ordering::SeqCst),
        2,
        "the 60 s ones never finished"
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_gather_aborts_its_tasks() {
    let drops = Arc::new(AtomicUsize::new(0));
    let futures = [1u64, 2].map(|s| {
        let guard = DropGuard(drops.clone());
        async move {
            let _guard = guard;
            sleep(Duration::from_secs(s * 60)).await;
        }
    });
    let timed_out = tokio::time::timeout(Duration::from_secs(1), gather(futures)).await;
    assert!(timed_out.is_err());
    // Aborted tasks are dropped the next time the runtime runs them.
    tokio::task::yield_now().await;
    sleep(Duration::from_millis(1)).await;
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "task boom")]
async fn gather_resumes_a_task_panic() {
    let _ = gather([0u64, 1].map(|s| async move {
        sleep(Duration::from_secs(s)).await;
        if s == 1 {
            panic!("task boom");
        }
    }))
    .await;
}

#[tokio::test(start_paused = true)]
async fn gather_panic_cancels_the_rest_first() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(drops.clone());
    let caught = tokio::spawn(try_gather([
        Box::pin(async move {
            let _guard = guard;
            sleep(Duration::from_secs(60)).await;
            Ok::<_, ()>(())
        }) as std::pin::Pin<Box<dyn Future<Output = Result<(), ()>> + Send>>,
        Box::pin(async {
            sleep(Duration::from_secs(1)).await;
            panic!("task boom")
        }),
    ]))
    .await;
    assert!(caught.unwrap_err().is_panic());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}
