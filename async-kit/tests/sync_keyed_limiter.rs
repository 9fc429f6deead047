//! `KeyedLimiter`: a bound per key, keys freed when unused, cancel safety.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::sync::{KeyedLimiter, KeyedPermit};
use tokio::time::sleep;
use tokio_test::{assert_pending, assert_ready, task};

#[tokio::test(start_paused = true)]
async fn each_key_is_bounded_on_its_own() {
    let limiter = KeyedLimiter::new(2);
    // Per key: [running now, highest seen].
    let counters: Arc<Vec<[AtomicUsize; 2]>> = Arc::new(
        (0..4)
            .map(|_| [AtomicUsize::new(0), AtomicUsize::new(0)])
            .collect(),
    );
    let mut tasks = Vec::new();
    for i in 0..400_usize {
        let limiter = limiter.clone();
        let counters = counters.clone();
        tasks.push(tokio::spawn(async move {
            let key = i % 4;
            limiter
                .run(key, async {
                    let c = &counters[key];
                    let now = c[0].fetch_add(1, Ordering::SeqCst) + 1;
                    c[1].fetch_max(now, Ordering::SeqCst);
                    sleep(Duration::from_millis(1 + (i as u64 * 7) % 5)).await;
                    c[0].fetch_sub(1, Ordering::SeqCst);
                })
                .await
        }));
    }
    sleep(Duration::from_millis(1)).await;
    assert_eq!(limiter.keys(), 4);
    for t in tasks {
        t.await.unwrap();
    }
    for c in counters.iter() {
        assert_eq!(c[1].load(Ordering::SeqCst), 2);
    }
    assert_eq!(limiter.keys(), 0, "every key is freed once unused");
}

#[tokio::test]
async fn memory_follows_the_keys_in_use() {
    let limiter = KeyedLimiter::new(1);
    for host in 0..10_000_u32 {
        let permit = limiter.acquire(host).await;
        assert_eq!(limiter.keys(), 1);
        drop(permit);
    }
    assert_eq!(limiter.keys(), 0);
}

#[tokio::test]
async fn a_dropped_waiter_keeps_the_count_and_order_and_frees_its_key() {
    let limiter = KeyedLimiter::new(1);
    let held = limiter.acquire("a").await;
    let mut first = task::spawn(limiter.acquire("a"));
    let mut second = task::spawn(limiter.acquire("a"));
    let mut third = task::spawn(limiter.acquire("a"));
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    assert_pending!(third.poll());
    drop(second);
    drop(held);
    assert_pending!(third.poll());
    let p1 = assert_ready!(first.poll());
    drop(p1);
    let p3 = assert_ready!(third.poll());
    assert!(limiter.try_acquire("a").is_err());
    drop(p3);
    assert_eq!(limiter.keys(), 0);

    // A key only waited for is in use, and freed when the wait is dropped.
    let held = limiter.acquire("b").await;
    let mut waiter = task::spawn(limiter.acquire("b"));
    assert_pending!(waiter.poll());
    drop(held);
    assert_eq!(limiter.keys(), 1);
    drop(waiter);
    assert_eq!(limiter.keys(), 0);
    let permit: KeyedPermit<&str> = limiter.try_acquire("b").unwrap();
    assert_eq!(*permit.key(), "b");
}

#[test]
fn auto_traits() {
    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    send_sync_unpin::<KeyedLimiter<String>>();
    send_sync_unpin::<KeyedPermit<String>>();
    fn send_fut<F: std::future::Future + Send>(_: F) {}
    let limiter = KeyedLimiter::new(1);
    send_fut(limiter.acquire(String::new()));
    send_fut(limiter.run(String::new(), async {}));
}
