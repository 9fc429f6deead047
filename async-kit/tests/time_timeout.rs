//! `#[timeout]` and `time::timeout`: behaviour under tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::time::{timeout, timeout_at};
use async_kit::{Elapsed, deadline, remaining};
use tokio::time::{Instant, advance, sleep};

/// Counts drops, to prove that a timed-out body was cancelled.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_kit::timeout(100ms)]
async fn sleepy(ms: u64) -> u64 {
    sleep(Duration::from_millis(ms)).await;
    ms
}

#[tokio::test(start_paused = true)]
async fn fast_body_returns_its_value() {
    assert_eq!(sleepy(99).await, Ok(99));
}

#[tokio::test(start_paused = true)]
async fn slow_body_times_out_exactly_at_the_deadline() {
    let start = Instant::now();
    let err = sleepy(1_000).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    assert!(!err.is_inherited());
}

#[tokio::test(start_paused = true)]
async fn body_finishing_at_the_deadline_wins() {
    // The body is polled before the timer, as with tokio's timeout.
    assert_eq!(sleepy(100).await, Ok(100));
}

#[async_kit::timeout(1s)]
async fn guarded(drops: Arc<AtomicUsize>, started: Arc<AtomicUsize>) {
    let _guard = DropGuard(drops);
    started.fetch_add(1, Ordering::SeqCst);
    std::future::pending::<()>().await;
}

#[tokio::test(start_paused = true)]
async fn timeout_drops_the_body() {
    let drops = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let mut call = tokio_test::task::spawn(guarded(drops.clone(), started.clone()));
    tokio_test::assert_pending!(call.poll());
    assert_eq!(started.load(Ordering::SeqCst), 1);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    advance(Duration::from_millis(999)).await;
    tokio_test::assert_pending!(call.poll());
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    advance(Duration::from_millis(1)).await;
    let result = tokio_test::assert_ready!(call.poll());
    assert!(result.is_err());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the body was dropped at the deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_the_call_drops_the_body() {
    let drops = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let mut call = tokio_test::task::spawn(guarded(drops.clone(), started.clone()));
    tokio_test::assert_pending!(call.poll());
    drop(call);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[async_kit::timeout(50ms)]
async fn inner_short() {
    sleep(Duration::from_secs(10)).await;
}

#[async_kit::timeout(200ms)]
async fn outer_long() -> Result<(), Elapsed> {
    inner_short().await
}

#[tokio::test(start_paused = true)]
async fn nested_timeouts_report_the_inner_one_first() {
    let start = Instant::now();
    // The inner fn's own (shorter) deadline fires: the outer fn returns the
    // inner error, with its own deadline untouched.
    let err = outer_long().await.unwrap_err();
    assert!(!err.is_inherited());
    assert_eq!(start.elapsed(), Duration::from_millis(50));
}

#[async_kit::timeout(10s)]
async fn inner_long() {
    sleep(Duration::from_secs(60)).await;
}

#[async_kit::timeout(1s)]
async fn outer_short() -> Result<(), Elapsed> {
    inner_long().await
}

#[tokio::test(start_paused = true)]
async fn inner_call_never_waits_past_the_callers_deadline() {
    let start = Instant::now();
    let err = outer_short().await.unwrap_err();
    assert!(
        err.is_inherited(),
        "the caller's deadline fired, seen from inside"
    );
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[async_kit::timeout(10s)]
async fn deeper() -> Option<Instant> {
    deadline()
}

async fn middle() -> Result<Option<Instant>, Elapsed> {
    // Not bounded itself: the deadline passes through plain async fns.
    deeper().await
}

#[async_kit::timeout(3s)]
async fn top() -> Result<Option<Instant>, Elapsed> {
    middle().await
}

#[tokio::test(start_paused = true)]
async fn deadline_propagates_through_plain_fns() {
    let start = Instant::now();
    assert_eq!(top().await, Ok(Some(start + Duration::from_secs(3))));
    assert_eq!(deadline(), None, "the scope ends with the poll");
}

#[tokio::test(start_paused = true)]
async fn remaining_budget_shrinks() {
    let left = timeout(Duration::from_secs(5), async {
        let first = remaining();
        sleep(Duration::from_secs(2)).await;
        (first, remaining())
    })
    .await
    .unwrap();
    assert_eq!(
        left,
        (Some(Duration::from_secs(5)), Some(Duration::from_secs(3)))
    );
    assert_eq!(remaining(), None);
}

#[tokio::test(start_paused = true)]
async fn spawned_tasks_do_not_inherit() {
    let seen = timeout(Duration::from_secs(1), async {
        tokio::spawn(async { deadline() }).await.unwrap()
    })
    .await
    .unwrap();
    assert_eq!(seen, None);
}

#[tokio::test(start_paused = true)]
async fn timeout_at_fires_at_the_instant() {
    let start = Instant::now();
    let at = start + Duration::from_millis(10);
    let err = timeout_at(at, sleep(Duration::from_secs(1)))
        .await
        .unwrap_err();
    assert!(!err.is_inherited());
    assert_eq!(start.elapsed(), Duration::from_millis(10));
}

#[tokio::test(start_paused = true)]
async fn ready_future_never_arms_the_timer() {
    // A zero budget still lets a ready future through.
    assert_eq!(timeout(Duration::ZERO, async { 5 }).await, Ok(5));
    assert!(
        timeout(Duration::ZERO, sleep(Duration::from_millis(1)))
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn huge_durations_do_not_overflow() {
    let r = timeout(Duration::MAX, async { 1 }).await;
    assert_eq!(r, Ok(1));
}
