//! `TaskPool::map`: every input once, bounded and lazy, both orders.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::task::{Map, TaskPool};
use futures::StreamExt;
use tokio::time::sleep;

struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn pseudo_random_ms(i: u64) -> u64 {
    1 + (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) % 40
}

#[tokio::test(start_paused = true)]
async fn every_input_yields_exactly_once_within_the_limit() {
    let pool = TaskPool::new(12);
    let now = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let (n, m) = (now.clone(), max.clone());
    let mut seen = vec![false; 10_000];
    let mut results = pool.map(0..10_000_u64, move |i| {
        let (now, max) = (n.clone(), m.clone());
        async move {
            let running = now.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(running, Ordering::SeqCst);
            sleep(Duration::from_millis(pseudo_random_ms(i))).await;
            now.fetch_sub(1, Ordering::SeqCst);
            i
        }
    });
    let mut out_of_order = false;
    let mut last = 0;
    while let Some(r) = results.next().await {
        let i = r.unwrap();
        assert!(!seen[i as usize], "{i} yielded twice");
        seen[i as usize] = true;
        out_of_order |= i < last;
        last = i;
    }
    assert!(seen.iter().all(|s| *s), "every input yielded");
    assert!(out_of_order, "completion order, not input order");
    assert_eq!(max.load(Ordering::SeqCst), 12);
}

#[tokio::test(start_paused = true)]
async fn ordered_yields_in_input_order() {
    let pool = TaskPool::new(8);
    let results: Vec<u64> = pool
        .map(0..2_000_u64, |i| async move {
            sleep(Duration::from_millis(pseudo_random_ms(i))).await;
            i
        })
        .ordered()
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(results, (0..2_000).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_million_inputs_are_pulled_only_as_results_are_taken() {
    let pool = TaskPool::new(16);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let inputs = (0..1_000_000_u64).inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let mut results = pool.map(inputs, |i| async move { i * 2 });
    let mut sum = 0;
    for _ in 0..100 {
        sum += results.next().await.unwrap().unwrap();
    }
    assert!(sum > 0);
    // The consumer stalls: the workers run until the window is full, then
    // wait for it.
    for _ in 0..1_000 {
        tokio::task::yield_now().await;
    }
    let taken = pulled.load(Ordering::SeqCst);
    assert!(
        taken <= 100 + 16 * 16,
        "{taken} inputs pulled for 100 results"
    );
    drop(results);
    pool.join().await;
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        taken,
        "no input pulled after the drop"
    );
}

#[tokio::test]
async fn a_million_inputs_all_arrive() {
    let pool = TaskPool::new(64);
    let count = pool
        .map(0..1_000_000_u64, |i| async move { i })
        .fold(0_u64, |n, r| async move {
            r.unwrap();
            n + 1
        })
        .await;
    assert_eq!(count, 1_000_000);
}

#[tokio::test]
async fn panics_yield_errors_and_the_rest_goes_on() {
    let pool = TaskPool::new(4);
    let results: Vec<_> = pool
        .map(0..100_u32, |i| {
            assert!(i != 13, "unlucky closure");
            async move {
                assert!(i != 42, "unlucky future");
                i
            }
        })
        .ordered()
        .collect()
        .await;
    assert_eq!(results.len(), 100);
    for (i, r) in results.into_iter().enumerate() {
        match i {
            13 | 42 => {
                let err = r.unwrap_err();
                assert!(err.is_panic());
                let message = err.into_panic().downcast::<&str>().unwrap();
                assert!(message.starts_with("unlucky"));
            }
            _ => assert_eq!(r.unwrap() as usize, i),
        }
    }
}

#[tokio::test]
async fn dropping_the_stream_drops_the_work_in_flight() {
    let pool = TaskPool::new(4);
    let drops = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(AtomicUsize::new(0));
    let (d, s) = (drops.clone(), started.clone());
    let mut results = pool.map(0..100_u32, move |_| {
        let guard = DropGuard(d.clone());
        s.fetch_add(1, Ordering::SeqCst);
        async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }
    });
    // The stream launches its workers while it is polled, so keep polling
    // it (nothing ever completes) until all four have started, however
    // slow the machine.
    while started.load(Ordering::SeqCst) < 4 {
        let poll = tokio::time::timeout(Duration::from_millis(1), results.next());
        assert!(poll.await.is_err(), "nothing completes");
    }
    drop(results);
    pool.join().await;
    assert_eq!(started.load(Ordering::SeqCst), 4);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_cuts_the_stream_short_with_an_error() {
    let pool = TaskPool::new(2);
    let mut results = pool.map(0..10_u64, |i| async move {
        sleep(Duration::from_secs(i)).await;
        i
    });
    assert_eq!(results.next().await.unwrap().unwrap(), 0);
    let report = pool.shutdown(Duration::from_millis(1_500)).await;
    assert_eq!(report.aborted, 2);
    let rest: Vec<_> = results.collect().await;
    let (last, before) = rest.split_last().unwrap();
    assert!(last.as_ref().unwrap_err().is_shutdown());
    assert!(before.iter().all(Result::is_ok));
}

/// Polled under a deadline, the map's inputs see it; when it passes, the
/// inputs in flight are dropped and the stream says why.
#[tokio::test(start_paused = true)]
async fn a_deadline_in_force_reaches_the_inputs_and_ends_the_stream() {
    let pool = TaskPool::new(2);
    let dropped = Arc::new(AtomicUsize::new(0));
    let seen = dropped.clone();
    let mut results = pool.map(0..10_u64, move |i| {
        let guard = DropGuard(seen.clone());
        async move {
            let _guard = guard;
            sleep(Duration::from_secs(i)).await;
            async_kit::deadline()
        }
    });
    // The first two inputs (0 s and 1 s) finish under a 1.5 s budget.
    let (first, expected) = async_kit::time::timeout(Duration::from_millis(1_500), async {
        let first = results.next().await.unwrap().unwrap();
        (first, async_kit::deadline())
    })
    .await
    .unwrap();
    assert!(expected.is_some());
    assert_eq!(first, expected);
    let rest: Vec<_> = results.collect().await;
    let (last, before) = rest.split_last().unwrap();
    let err = last.as_ref().unwrap_err();
    assert!(err.is_elapsed(), "{err:?}");
    assert!(
        before
            .iter()
            .all(|r| r.as_ref().is_ok_and(|d| *d == expected))
    );
    // Every input taken was dropped: done, or cut at the deadline.
    pool.join().await;
    assert!(dropped.load(Ordering::SeqCst) >= 2);
    assert!(rest.len() < 10);
}

#[test]
fn auto_traits() {
    fn send_unpin<T: Send + Unpin>() {}
    send_unpin::<Map<u8>>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_inputs_still_use_every_runtime_thread() {
    let pool = TaskPool::new(8);
    let threads = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let seen = threads.clone();
    let count = pool
        .map(0..200_u32, move |_| {
            let seen = seen.clone();
            async move {
                // Work that holds its thread, as CPU work would.
                seen.lock().unwrap().insert(std::thread::current().id());
                std::thread::sleep(Duration::from_micros(500));
            }
        })
        .count()
        .await;
    assert_eq!(count, 200);
    assert_eq!(threads.lock().unwrap().len(), 2);
}

/// Pulls `0..1_000_000` through a map with the given window, yields
/// `yielded` results, stalls, and returns how many inputs were pulled.
async fn pulled_by_a_stalled_consumer(limit: usize, window: usize, yielded: usize) -> usize {
    let pool = TaskPool::new(limit);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let inputs = (0..1_000_000_u64).inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let mut results = pool.map(inputs, |i| async move { i }).window(window);
    for _ in 0..yielded {
        results.next().await.unwrap().unwrap();
    }
    for _ in 0..1_000 {
        tokio::task::yield_now().await;
    }
    let taken = pulled.load(Ordering::SeqCst);
    drop(results);
    pool.join().await;
    taken
}

#[tokio::test]
async fn the_smallest_window_bounds_the_map_like_buffer_unordered_current_thread() {
    for window in [1, 8, 16] {
        let taken = pulled_by_a_stalled_consumer(8, window, 100).await;
        assert!(
            (100..=100 + window).contains(&taken),
            "window {window}: {taken} inputs pulled for 100 results"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_smallest_window_bounds_the_map_like_buffer_unordered_multi_thread() {
    for window in [1, 8, 16] {
        let taken = pulled_by_a_stalled_consumer(8, window, 100).await;
        assert!(
            (100..=100 + window).contains(&taken),
            "window {window}: {taken} inputs pulled for 100 results"
        );
    }
}

#[tokio::test]
async fn an_unpolled_map_with_the_default_window_runs_ahead_further() {
    // The default trades memory for throughput: it does take more than a
    // small window would, which is what makes the knob worth having.
    let taken = pulled_by_a_stalled_consumer(8, 16 * 8, 1).await;
    assert!(taken > 1 + 16, "{taken} inputs pulled");
    assert!(taken <= 1 + 16 * 8, "{taken} inputs pulled");
}

/// Runs 64 sleeping inputs and returns the most that ran at once.
async fn most_at_once(limit: usize, window: usize) -> usize {
    let pool = TaskPool::new(limit);
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (r, m) = (running.clone(), most.clone());
    let done = pool
        .map(0..64_u32, move |_| {
            let (running, most) = (r.clone(), m.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                running.fetch_sub(1, Ordering::SeqCst);
            }
        })
        .window(window)
        .count()
        .await;
    assert_eq!(done, 64);
    most.load(Ordering::SeqCst)
}

#[tokio::test(start_paused = true)]
async fn a_window_of_the_limit_keeps_every_slot_busy_and_a_smaller_one_caps_it() {
    assert_eq!(most_at_once(8, 8).await, 8);
    assert_eq!(most_at_once(8, 3).await, 3);
}

#[tokio::test]
async fn shrinking_the_window_of_a_running_map_takes_effect_as_results_are_yielded() {
    let pool = TaskPool::new(8);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let inputs = (0..1_000_000_u64).inspect(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let mut results = pool.map(inputs, |i| async move { i });
    for _ in 0..10 {
        results.next().await.unwrap().unwrap();
    }
    let mut results = results.window(4);
    // Drain what was taken under the old window, then some.
    for _ in 0..500 {
        results.next().await.unwrap().unwrap();
    }
    for _ in 0..1_000 {
        tokio::task::yield_now().await;
    }
    let taken = pulled.load(Ordering::SeqCst);
    assert!(
        (510..=510 + 4).contains(&taken),
        "{taken} inputs pulled for 510 results"
    );
    // Growing it again frees the workers at once.
    let mut results = results.window(64);
    results.next().await.unwrap().unwrap();
    for _ in 0..1_000 {
        tokio::task::yield_now().await;
    }
    let taken = pulled.load(Ordering::SeqCst);
    assert!(taken > 511 + 4, "{taken} inputs pulled after growing");
    assert!(taken <= 511 + 64, "{taken} inputs pulled after growing");
}
