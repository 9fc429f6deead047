//! `par_map` and `CpuPool::par_map`.

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use async_kit::offload::{CpuPool, par_map};

#[tokio::test]
async fn results_come_back_in_input_order() {
    let pool = CpuPool::builder().threads(2).build().unwrap();
    // Uneven work, so chunks finish out of order.
    let out = pool
        .par_map(0..10_000_u64, |n| {
            for i in 0..(n % 7) * 100 {
                black_box(i);
            }
            n * 2
        })
        .await
        .unwrap();
    let expected: Vec<u64> = (0..10_000).map(|n| n * 2).collect();
    assert_eq!(out, expected);
}

#[tokio::test]
async fn every_item_is_mapped_exactly_once() {
    let seen = Arc::new(Mutex::new(vec![0_u8; 5_000]));
    let marks = Arc::clone(&seen);
    par_map(0..5_000_usize, move |i| marks.lock().unwrap()[i] += 1)
        .await
        .unwrap();
    assert!(seen.lock().unwrap().iter().all(|&count| count == 1));
}

#[tokio::test]
async fn the_work_runs_on_the_pools_threads() {
    let pool = CpuPool::builder().name("batch").threads(2).build().unwrap();
    let names = pool
        .par_map(0..64, |_| std::thread::current().name().unwrap().to_owned())
        .await
        .unwrap();
    let names: HashSet<String> = names.into_iter().collect();
    assert!(names.iter().all(|n| n.starts_with("batch-")), "{names:?}");
    assert_eq!(pool.figures().completed, 1);
}

#[tokio::test]
async fn slices_and_empty_inputs_work() {
    let words = ["a", "bb", "ccc"];
    assert_eq!(par_map(words, str::len).await.unwrap(), [1, 2, 3]);
    let none: Vec<u8> = par_map(Vec::<u8>::new(), |b| b).await.unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_panic_on_one_item_fails_the_batch_with_its_payload() {
    let pool = CpuPool::builder().threads(2).build().unwrap();
    let err = pool
        .par_map(0..1_000_u32, |n| {
            assert_ne!(n, 500, "item 500 is bad");
            n
        })
        .await
        .unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("item 500 is bad"), "{err}");
    assert_eq!(pool.figures().panicked, 1);
    // The pool still works.
    assert_eq!(pool.par_map([1, 2], |n| n + 1).await.unwrap(), [2, 3]);
}

#[tokio::test]
async fn dropping_the_future_before_the_batch_starts_skips_it() {
    let pool = CpuPool::builder().threads(1).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = pool.offload(move || {
        started_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    started_rx.recv().unwrap();

    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    drop(pool.par_map(0..10, move |_| flag.store(true, Ordering::SeqCst)));
    release_tx.send(()).unwrap();
    blocker.await.unwrap();
    pool.offload(|| ()).await.unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(pool.figures().skipped, 1);
}

#[tokio::test]
async fn dropping_the_future_of_a_running_batch_stops_the_remaining_items() {
    let pool = CpuPool::builder().threads(1).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(Some(release_rx));
    let mapped = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&mapped);
    let started_tx = Mutex::new(started_tx);
    let batch = pool.par_map(0..10_000_u32, move |n| {
        // The first item holds the only thread until the future is gone.
        if let Some(release) = release_rx.lock().unwrap().take() {
            started_tx.lock().unwrap().send(()).unwrap();
            release.recv().unwrap();
        }
        count.fetch_add(1, Ordering::SeqCst);
        n
    });
    started_rx.recv().unwrap();
    drop(batch);
    release_tx.send(()).unwrap();
    // The pool's one thread runs this after the batch has ended.
    pool.offload(|| ()).await.unwrap();
    assert_eq!(mapped.load(Ordering::SeqCst), 1);
}
