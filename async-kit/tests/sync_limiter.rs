//! `Limiter`: bounds, FIFO order, cancel safety, resizing and figures.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::sync::{LimitExt, Limited, Limiter, OwnedPermit, Permit, TryAcquireError};
use tokio::time::{Instant, sleep};
use tokio_test::{assert_pending, assert_ready, task};

/// Tracks the number of bodies running at once and the highest seen.
#[derive(Default)]
struct MaxCounter {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl MaxCounter {
    async fn hold(&self, ms: u64) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        sleep(Duration::from_millis(ms)).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn run_never_exceeds_the_limit_and_reaches_it() {
    let limiter = Limiter::new(5);
    let counter = Arc::new(MaxCounter::default());
    let mut tasks = Vec::new();
    for i in 0..200_u64 {
        let limiter = limiter.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            limiter.run(counter.hold(1 + i * 7 % 13)).await
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(counter.max.load(Ordering::SeqCst), 5);
    assert_eq!(limiter.in_use(), 0);
    assert_eq!(limiter.waiting(), 0);
}

#[tokio::test(start_paused = true)]
async fn limited_holds_a_permit_exactly_while_the_future_runs() {
    let limiter = Limiter::new(1);
    let probe = limiter.clone();
    let mut fut = task::spawn(
        async move {
            sleep(Duration::from_millis(10)).await;
            probe.in_use()
        }
        .limited(&limiter),
    );
    assert_eq!(
        limiter.in_use(),
        0,
        "nothing is taken before the first poll"
    );
    assert_pending!(fut.poll());
    assert_eq!(limiter.in_use(), 1);
    sleep(Duration::from_millis(10)).await;
    assert_eq!(assert_ready!(fut.poll()), 1);
    assert_eq!(limiter.in_use(), 0, "given back on completion");

    // Waiting for a permit, then dropped: nothing is held, nothing waits.
    let held = limiter.acquire().await;
    let mut waiting = task::spawn(async { 1 }.limited(&limiter));
    assert_pending!(waiting.poll());
    assert_eq!(limiter.waiting(), 1);
    drop(waiting);
    assert_eq!(limiter.waiting(), 0);
    drop(held);
    assert_eq!(limiter.in_use(), 0);
    assert_eq!(async { 2 }.limited(&limiter).await, 2);
}

#[tokio::test]
async fn waiters_are_served_in_fifo_order_and_a_dropped_waiter_keeps_it() {
    let limiter = Limiter::new(1);
    let held = limiter.acquire().await;
    let mut a = task::spawn(limiter.acquire());
    let mut b = task::spawn(limiter.acquire());
    let mut c = task::spawn(limiter.acquire());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    assert_pending!(c.poll());
    assert_eq!(limiter.waiting(), 3);

    drop(b);
    assert_eq!(limiter.waiting(), 2);
    // A newcomer never overtakes the queue.
    let err: TryAcquireError = limiter.try_acquire().unwrap_err();
    assert_eq!(err.to_string(), "no permits available");

    drop(held);
    // The permit goes to `a`, the head of the queue, not to `c`.
    assert!(a.is_woken());
    assert_pending!(c.poll());
    let pa = assert_ready!(a.poll());
    assert_eq!(limiter.in_use(), 1);
    drop(pa);
    assert!(c.is_woken());
    let pc = assert_ready!(c.poll());
    assert_eq!(limiter.in_use(), 1);
    assert_eq!(limiter.waiting(), 0);
    drop(pc);
    assert_eq!(limiter.in_use(), 0);
    assert!(limiter.try_acquire().is_ok());
}

#[tokio::test(start_paused = true)]
async fn acquire_timeout_gives_up_at_the_deadline_and_takes_nothing() {
    let limiter = Limiter::new(1);
    let held = limiter.acquire().await;
    let start = Instant::now();
    let err = limiter
        .acquire_timeout(Duration::from_millis(250))
        .await
        .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(250));
    assert!(!err.is_inherited());
    assert_eq!(limiter.waiting(), 0);
    drop(held);
    assert_eq!(limiter.in_use(), 0);
    let permit = limiter.acquire_timeout(Duration::ZERO).await.unwrap();
    assert_eq!(limiter.in_use(), 1);
    drop(permit);
}

#[tokio::test]
async fn growing_wakes_waiters_at_once() {
    let limiter = Limiter::new(0);
    let mut a = task::spawn(limiter.acquire());
    let mut b = task::spawn(limiter.acquire());
    let mut c = task::spawn(limiter.acquire());
    assert_pending!(a.poll());
    assert_pending!(b.poll());
    assert_pending!(c.poll());
    limiter.set_limit(2);
    assert!(a.is_woken() && b.is_woken());
    let _pa = assert_ready!(a.poll());
    let _pb = assert_ready!(b.poll());
    assert_pending!(c.poll());
    assert_eq!(
        (limiter.limit(), limiter.in_use(), limiter.waiting()),
        (2, 2, 1)
    );
}

#[tokio::test]
async fn shrinking_waits_for_permits_to_come_back_and_cancels_nothing() {
    let limiter = Limiter::new(3);
    let a = limiter.acquire().await;
    let b = limiter.acquire().await;
    // One free permit is withdrawn at once, one more is owed.
    limiter.set_limit(1);
    assert_eq!(limiter.limit(), 1);
    assert_eq!(limiter.in_use(), 2, "running work is not cancelled");
    assert!(limiter.try_acquire().is_err());
    let mut waiter = task::spawn(limiter.acquire());
    assert_pending!(waiter.poll());
    drop(a);
    // `a` paid the debt: the waiter still waits.
    assert!(!waiter.is_woken());
    assert_pending!(waiter.poll());
    assert_eq!(limiter.in_use(), 1);
    drop(b);
    let p = assert_ready!(waiter.poll());
    assert_eq!(limiter.in_use(), 1);
    drop(p);
    // Exactly one permit is left.
    let one = limiter.try_acquire().unwrap();
    assert!(limiter.try_acquire().is_err());
    drop(one);

    // A shrink then a grow before anything came back cancels the debt.
    let x = limiter.acquire().await;
    limiter.set_limit(0);
    limiter.set_limit(1);
    drop(x);
    assert!(limiter.try_acquire().is_ok());
    assert_eq!(limiter.in_use(), 0);
}

#[tokio::test(start_paused = true)]
async fn resizing_under_load_keeps_the_count_exact() {
    let limiter = Limiter::new(4);
    let counter = Arc::new(MaxCounter::default());
    let mut tasks = Vec::new();
    for i in 0..100_u64 {
        let limiter = limiter.clone();
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            limiter.run(counter.hold(5 + i % 7)).await
        }));
    }
    sleep(Duration::from_millis(20)).await;
    limiter.set_limit(2);
    // Every body that ran at the shrink lasts at most 11 ms: after that the
    // shrink is paid off, and at most 2 run (and 2 do).
    sleep(Duration::from_millis(12)).await;
    counter
        .max
        .store(counter.now.load(Ordering::SeqCst), Ordering::SeqCst);
    sleep(Duration::from_millis(30)).await;
    assert_eq!(counter.max.load(Ordering::SeqCst), 2);
    limiter.set_limit(6);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(limiter.in_use(), 0);
    let mut permits = Vec::new();
    while let Ok(p) = limiter.try_acquire() {
        permits.push(p);
    }
    assert_eq!(permits.len(), 6);
}

#[tokio::test]
async fn owned_permits_move_into_tasks() {
    let limiter = Limiter::new(2);
    let permit: OwnedPermit = limiter.acquire_owned().await;
    let other = limiter.try_acquire_owned().unwrap();
    assert!(limiter.try_acquire_owned().is_err());
    tokio::spawn(async move { drop(permit) }).await.unwrap();
    assert_eq!(limiter.in_use(), 1);
    drop(other);
    assert_eq!(limiter.in_use(), 0);
}

#[test]
fn auto_traits() {
    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    fn send<T: Send>() {}
    send_sync_unpin::<Limiter>();
    send_sync_unpin::<Permit<'static>>();
    send_sync_unpin::<OwnedPermit>();
    send_sync_unpin::<TryAcquireError>();
    send::<Limited<std::future::Ready<()>>>();
    fn unpin<T: Unpin>() {}
    unpin::<Limited<std::future::Ready<()>>>();
    fn send_fut<F: std::future::Future + Send>(_: F) {}
    let limiter = Limiter::new(1);
    send_fut(limiter.acquire());
    send_fut(limiter.acquire_owned());
    send_fut(limiter.run(async {}));
    send_fut(limiter.acquire_timeout(Duration::ZERO));
}

/// Resizes race releases on both threads; once everything is back, exactly
/// `limit` permits exist, whatever the interleaving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_resizes_and_releases_keep_the_count_exact() {
    let limiter = Limiter::new(4);
    let max_seen_over = Arc::new(AtomicUsize::new(0));
    let mut users = Vec::new();
    for _ in 0..6 {
        let limiter = limiter.clone();
        users.push(tokio::spawn(async move {
            for _ in 0..2_000 {
                let permit = limiter.acquire().await;
                tokio::task::yield_now().await;
                drop(permit);
            }
        }));
    }
    let resizer = {
        let limiter = limiter.clone();
        let over = max_seen_over.clone();
        tokio::spawn(async move {
            for i in 0..2_000_usize {
                limiter.set_limit(1 + (i * 7) % 6);
                // In use may exceed the limit only while a shrink is owed.
                over.fetch_max(limiter.in_use().saturating_sub(6), Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
            limiter.set_limit(4);
        })
    };
    let all = async {
        resizer.await.unwrap();
        for u in users {
            u.await.unwrap();
        }
    };
    // A watchdog, not a wait: this takes well under a second.
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("a waiter was never served");
    assert_eq!(max_seen_over.load(Ordering::SeqCst), 0);
    assert_eq!((limiter.limit(), limiter.in_use()), (4, 0));
    let mut permits = Vec::new();
    while let Ok(p) = limiter.try_acquire() {
        permits.push(p);
    }
    assert_eq!(
        permits.len(),
        4,
        "exactly the limit, no permit lost or made"
    );
}
