//! `rate::{RateLimiter, KeyedRateLimiter, Throttle}` under tokio's paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::Limiter;
use async_kit::rate::{KeyedRateLimiter, Rate, RateLimitExt, RateLimiter, Throttle};
use tokio::time::{Instant, advance};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn every_window_admits_exactly_rate_and_burst() {
    // 10 per second (one per 100 ms), burst 5; demand is always above the
    // rate and the burst: 6 tries every 10 ms, 10,002 tries in all.
    let limiter = RateLimiter::new(Rate::per_second(10).burst(5));
    let start = Instant::now();
    let mut admitted_at: Vec<Duration> = Vec::new();
    for step in 0..1_667u64 {
        for _ in 0..6 {
            if limiter.try_acquire().is_ok() {
                admitted_at.push(start.elapsed());
            }
        }
        // By time t the burst and one permit per elapsed 100 ms are out.
        let t = start.elapsed();
        assert_eq!(
            admitted_at.len() as u64,
            5 + t.as_millis() as u64 / 100,
            "at {t:?}"
        );
        assert_eq!(step, t.as_millis() as u64 / 10);
        advance(ms(10)).await;
    }
    // Every 1 s window after the burst holds exactly 10 admissions.
    let end = start.elapsed();
    let mut from = Duration::from_millis(100);
    while from + Duration::from_secs(1) <= end {
        let to = from + Duration::from_secs(1);
        let n = admitted_at
            .iter()
            .filter(|t| **t >= from && **t < to)
            .count();
        assert_eq!(n, 10, "window {from:?}..{to:?}");
        from += ms(10);
    }
    // And the first window carries the burst on top.
    let first = admitted_at
        .iter()
        .filter(|t| **t < Duration::from_secs(1))
        .count();
    assert_eq!(first, 5 + 9);
}

#[tokio::test(start_paused = true)]
async fn try_acquire_says_how_long_to_wait() {
    let limiter = RateLimiter::new(Rate::new(2, Duration::from_secs(1)).burst(1));
    limiter.try_acquire().unwrap();
    assert_eq!(limiter.try_acquire().unwrap_err().wait(), ms(500));
    advance(ms(200)).await;
    assert_eq!(limiter.try_acquire().unwrap_err().wait(), ms(300));
    advance(ms(300)).await;
    assert!(limiter.try_acquire().is_ok());
}

#[tokio::test(start_paused = true)]
async fn clones_share_one_limit() {
    let a = RateLimiter::new(Rate::per_second(3));
    let b = a.clone();
    assert!(a.try_acquire().is_ok());
    assert!(b.try_acquire().is_ok());
    assert!(a.try_acquire().is_ok());
    assert!(b.try_acquire().is_err());
    assert!(a.try_acquire().is_err());
}

#[tokio::test(start_paused = true)]
async fn until_ready_and_run_wait_their_turn() {
    let limiter = RateLimiter::new(Rate::per_second(5).burst(1));
    let start = Instant::now();
    let mut starts = Vec::new();
    for i in 0..4 {
        let n = limiter.run(async { i }).await;
        starts.push((n, start.elapsed()));
    }
    assert_eq!(
        starts,
        [(0, ms(0)), (1, ms(200)), (2, ms(400)), (3, ms(600))]
    );
}

#[tokio::test(start_paused = true)]
async fn cancelled_wait_takes_no_permit() {
    let limiter = RateLimiter::new(Rate::per_second(1).burst(1));
    limiter.try_acquire().unwrap();
    let mut wait = tokio_test::task::spawn(limiter.until_ready());
    tokio_test::assert_pending!(wait.poll());
    drop(wait);
    advance(Duration::from_secs(1)).await;
    assert!(limiter.try_acquire().is_ok());
}

#[tokio::test(start_paused = true)]
async fn rate_limited_futures_from_many_tasks() {
    let limiter = RateLimiter::new(Rate::per_second(10).burst(2));
    let start = Instant::now();
    let tasks: Vec<_> = (0..6)
        .map(|_| tokio::spawn(async move { start.elapsed() }.rate_limited(&limiter)))
        .collect();
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap());
    }
    times.sort();
    assert_eq!(times, [ms(0), ms(0), ms(100), ms(200), ms(300), ms(400)]);
}

#[tokio::test(start_paused = true)]
async fn keyed_limits_are_per_key() {
    let limiter = KeyedRateLimiter::new(Rate::per_second(2).burst(2));
    for host in ["a", "b", "c"] {
        assert!(limiter.try_acquire(&host).is_ok());
        assert!(limiter.try_acquire(&host).is_ok());
        assert_eq!(limiter.try_acquire(&host).unwrap_err().wait(), ms(500));
    }
    let clone = limiter.clone();
    assert!(clone.try_acquire(&"a").is_err(), "clones share the keys");
    assert_eq!(limiter.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn keyed_memory_stays_bounded_over_a_million_keys() {
    // One permit per 10 ms per key: a key is idle 20 ms after its use. A
    // thousand new keys every millisecond, a million in all.
    let limiter = KeyedRateLimiter::new(Rate::new(1, ms(10)));
    let mut most = 0;
    for key in 0..1_000_000u64 {
        limiter.try_acquire(&key).unwrap();
        if key % 1_000 == 999 {
            most = most.max(limiter.len());
            advance(ms(1)).await;
        }
    }
    // Keys used in the last ~20 ms (20,000) are live; sweeps run once the
    // checks since the last one reach twice the keys it left.
    assert!(most <= 3 * 21_000 + 1_024, "{most} keys held");
    assert!(limiter.len() <= 3 * 21_000 + 1_024);
    // Once all are idle, a sweep empties the map.
    advance(Duration::from_secs(1)).await;
    limiter.forget_idle();
    assert!(limiter.is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_idle_key_that_comes_back_starts_fresh() {
    let limiter = KeyedRateLimiter::new(Rate::per_second(1).burst(2));
    limiter.try_acquire(&7).unwrap();
    limiter.try_acquire(&7).unwrap();
    advance(Duration::from_secs(3)).await;
    limiter.forget_idle();
    assert!(limiter.is_empty());
    assert!(limiter.try_acquire(&7).is_ok());
    assert!(limiter.try_acquire(&7).is_ok());
    assert!(limiter.try_acquire(&7).is_err());
}

#[tokio::test(start_paused = true)]
async fn keyed_until_ready_waits_only_for_its_key() {
    let limiter = KeyedRateLimiter::new(Rate::per_second(4).burst(1));
    let start = Instant::now();
    limiter.until_ready(&"slow").await;
    limiter.until_ready(&"other").await;
    assert_eq!(start.elapsed(), ms(0));
    limiter.run(&"slow", async {}).await;
    assert_eq!(start.elapsed(), ms(250));
}

#[tokio::test(start_paused = true)]
async fn throttle_bounds_rate_and_concurrency_together() {
    // 10 starts per second with a burst of 5, at most 2 running; each job
    // takes 300 ms.
    let throttle = Throttle::new(
        RateLimiter::new(Rate::per_second(10).burst(5)),
        Limiter::new(2),
    );
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let throttle = throttle.clone();
            let running = running.clone();
            let most = most.clone();
            tokio::spawn(async move {
                throttle
                    .run(async {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        let started = start.elapsed();
                        tokio::time::sleep(ms(300)).await;
                        running.fetch_sub(1, Ordering::SeqCst);
                        started
                    })
                    .await
            })
        })
        .collect();
    let mut starts = Vec::new();
    for t in tasks {
        starts.push(t.await.unwrap());
    }
    starts.sort();
    // The concurrency limit rules here: two at a time, every 300 ms.
    assert_eq!(starts, [ms(0), ms(0), ms(300), ms(300), ms(600), ms(600)]);
    assert_eq!(most.load(Ordering::SeqCst), 2);

    // With short jobs the rate rules: the burst, then one per 100 ms.
    let start = Instant::now();
    let mut starts = Vec::new();
    for _ in 0..3 {
        starts.push(throttle.run(async { start.elapsed() }).await);
    }
    // 900 ms after the first start the burst has refilled (6 taken, 9
    // back, capped at 5).
    assert_eq!(starts, [ms(0), ms(0), ms(0)]);
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Rate>();
    send_sync::<RateLimiter>();
    send_sync::<KeyedRateLimiter<String>>();
    send_sync::<Throttle>();
    send_sync::<async_kit::rate::RateLimited>();
}

#[test]
#[should_panic(expected = "at least one permit")]
fn zero_rate_panics() {
    let _ = Rate::per_second(0);
}
