//! 8 producers and 8 consumers move 1,000,000 distinct items through a
//! `Queue` of capacity 64 on two worker threads, while puts and gets are
//! cancelled at random (`select!` against short timeouts and against
//! futures that finish after a few polls). A bitmap proves that every item
//! arrives exactly once; a counter bumped before each `task_done` proves
//! that `join` returns only after the last one. The whole run is bounded
//! by a timeout, so it stops by itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_kit::queue::{Queue, TryGetError, TryPutError};

const ITEMS: usize = 1_000_000;
const PRODUCERS: usize = 8;
const CONSUMERS: usize = 8;
const CAPACITY: usize = 64;

struct Bitmap(Vec<AtomicU64>);

impl Bitmap {
    fn new(bits: usize) -> Self {
        Bitmap((0..bits.div_ceil(64)).map(|_| AtomicU64::new(0)).collect())
    }

    /// Sets bit `i`, panicking if it was already set (a duplicate).
    fn set(&self, i: usize) {
        let mask = 1 << (i % 64);
        let old = self.0[i / 64].fetch_or(mask, Ordering::Relaxed);
        assert_eq!(old & mask, 0, "item {i} arrived twice");
    }

    fn count(&self) -> usize {
        self.0
            .iter()
            .map(|w| w.load(Ordering::Relaxed).count_ones() as usize)
            .sum()
    }
}

/// xorshift64: a cheap, seeded source of choices.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Ready after `n` polls (waking itself each time): cancels the other
/// branch of a `select!` after it waited a little.
struct ReadyAfter(u32);

impl Future for ReadyAfter {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            Poll::Ready(())
        } else {
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A cancellation source: mostly a few polls, sometimes a short timer.
async fn cancel(rng: &mut Rng) {
    match rng.below(8) {
        0 => tokio::time::sleep(Duration::from_micros(rng.below(300))).await,
        n => ReadyAfter(n as u32).await,
    }
}

/// Now and then a task stops for a few turns, as a slow producer or
/// consumer would, so that the queue runs full and empty and waiters pile up.
async fn pause(rng: &mut Rng) {
    if rng.below(8) == 0 {
        for _ in 0..rng.below(6) {
            tokio::task::yield_now().await;
        }
    }
}

struct Shared {
    queue: Queue<usize>,
    seen: Bitmap,
    done: AtomicUsize,
    cancelled_gets: AtomicUsize,
    cancelled_puts: AtomicUsize,
}

impl Shared {
    fn handled(&self, item: usize) {
        self.seen.set(item);
        // Counted before task_done: once join returns, all are counted.
        self.done.fetch_add(1, Ordering::SeqCst);
    }
}

async fn produce(shared: Arc<Shared>, id: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1));
    let queue = &shared.queue;
    for item in (id..ITEMS).step_by(PRODUCERS) {
        pause(&mut rng).await;
        loop {
            match rng.below(4) {
                0 => match queue.try_put(item) {
                    Ok(()) => break,
                    Err(TryPutError::Full(_)) => {}
                    Err(TryPutError::ShutDown(_)) => unreachable!("shut down too early"),
                },
                1 => {
                    queue.put(item).await.unwrap();
                    break;
                }
                _ => {
                    tokio::select! {
                        permit = queue.reserve() => {
                            permit.unwrap().put(item).unwrap();
                            break;
                        }
                        () = cancel(&mut rng) => {
                            shared.cancelled_puts.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    }
}

async fn consume(shared: Arc<Shared>, id: usize) {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (id as u64 + 1));
    let queue = &shared.queue;
    loop {
        pause(&mut rng).await;
        match rng.below(5) {
            0 => match queue.try_get() {
                Ok(item) => {
                    shared.handled(item);
                    queue.task_done().unwrap();
                }
                Err(TryGetError::Empty) => tokio::task::yield_now().await,
                Err(TryGetError::ShutDown) => return,
            },
            1 => tokio::select! {
                guard = queue.get_guarded() => match guard {
                    Ok(guard) => shared.handled(*guard),
                    Err(_) => return,
                },
                () = cancel(&mut rng) => {
                    shared.cancelled_gets.fetch_add(1, Ordering::Relaxed);
                }
            },
            2 => tokio::select! {
                items = queue.get_many(1 + rng.below(8) as usize) => match items {
                    Ok(items) => for item in items {
                        shared.handled(item);
                        queue.task_done().unwrap();
                    },
                    Err(_) => return,
                },
                () = cancel(&mut rng) => {
                    shared.cancelled_gets.fetch_add(1, Ordering::Relaxed);
                }
            },
            _ => tokio::select! {
                item = queue.get() => match item {
                    Ok(item) => {
                        shared.handled(item);
                        queue.task_done().unwrap();
                    }
                    Err(_) => return,
                },
                () = cancel(&mut rng) => {
                    shared.cancelled_gets.fetch_add(1, Ordering::Relaxed);
                }
            },
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_items_arrive_exactly_once_under_random_cancellation() {
    let shared = Arc::new(Shared {
        queue: Queue::bounded(CAPACITY),
        seen: Bitmap::new(ITEMS),
        done: AtomicUsize::new(0),
        cancelled_gets: AtomicUsize::new(0),
        cancelled_puts: AtomicUsize::new(0),
    });
    let run = async {
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|id| tokio::spawn(consume(shared.clone(), id)))
            .collect();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|id| tokio::spawn(produce(shared.clone(), id)))
            .collect();
        for producer in producers {
            producer.await.unwrap();
        }
        shared.queue.join().await;
        assert_eq!(shared.done.load(Ordering::SeqCst), ITEMS);
        assert!(shared.queue.is_empty());
        assert!(shared.queue.shutdown());
        for consumer in consumers {
            consumer.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the stress run hung");
    assert_eq!(shared.seen.count(), ITEMS);
    assert!(shared.queue.task_done().is_err());
    // The cancellations really happened, on both sides.
    eprintln!(
        "cancelled gets: {}, cancelled puts: {}",
        shared.cancelled_gets.load(Ordering::Relaxed),
        shared.cancelled_puts.load(Ordering::Relaxed)
    );
    assert!(shared.cancelled_gets.load(Ordering::Relaxed) > 1000);
    assert!(shared.cancelled_puts.load(Ordering::Relaxed) > 1000);
}
