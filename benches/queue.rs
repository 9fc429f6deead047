//! `Queue` (with its `task_done` / `join` bookkeeping) against the async
//! MPMC channels a tokio user would otherwise pick: 4 producers x 4
//! consumers move 1,000,000 `u64` through a bounded queue of 1024.
//! `tokio::sync::mpsc` has one consumer, so it runs 4 x 1. "async-channel +
//! counter" is async-channel with the bookkeeping a user would add for
//! `join` (an atomic count and a `Notify`). `PriorityQueue`
//! and `LifoQueue` run the same job, against the same `Queue`.
//!
//! `cargo bench -p async-kit-benches --bench queue`
//! (`ASYNC_KIT_BENCH_QUICK=1`: 250,000 items per batch)

mod harness;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_kit::{LifoQueue, PriorityQueue, Queue};
use harness::{Case, compare, quick, runtimes};
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

const PRODUCERS: u64 = 4;
const CONSUMERS: u64 = 4;
const CAPACITY: usize = 1024;

/// Runs `producers` and `consumers` spawned on `rt`, timing from spawn to
/// the end of the consumers. The spawning closures are dropped once done,
/// so the channel ends they own close; `finish` waits for the producers.
fn run<P, C, F>(rt: &Runtime, items: u64, producer: P, consumer: C, finish: F) -> Duration
where
    P: Fn(std::ops::Range<u64>) -> JoinHandle<()>,
    C: Fn() -> JoinHandle<()>,
    F: AsyncFnOnce(Vec<JoinHandle<()>>),
{
    rt.block_on(async {
        let start = Instant::now();
        let consumers: Vec<_> = (0..CONSUMERS).map(|_| consumer()).collect();
        let per = items / PRODUCERS;
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| producer(p * per..(p + 1) * per))
            .collect();
        drop((producer, consumer));
        finish(producers).await;
        for consumer in consumers {
            consumer.await.unwrap();
        }
        start.elapsed()
    })
}

macro_rules! async_kit_case {
    ($name:expr, $rt:expr, $items:expr, $make:expr) => {
        Case::batch($name, $items, || {
            let queue = $make;
            run(
                $rt,
                $items,
                |range| {
                    let queue = queue.clone();
                    tokio::spawn(async move {
                        for i in range {
                            queue.put(i).await.unwrap();
                        }
                    })
                },
                || {
                    let queue = queue.clone();
                    tokio::spawn(async move {
                        while let Ok(item) = queue.get().await {
                            black_box(item);
                            queue.task_done().unwrap();
                        }
                    })
                },
                async |producers| {
                    for producer in producers {
                        producer.await.unwrap();
                    }
                    queue.join().await;
                    queue.shutdown();
                },
            )
        })
    };
}

/// async-channel, the peer every size is measured against.
fn async_channel_case(rt: &Runtime, items: u64) -> Case<'_> {
    Case::batch("async-channel", items, move || {
        let (tx, rx) = async_channel::bounded(CAPACITY);
        run(
            rt,
            items,
            move |range| {
                let tx = tx.clone();
                tokio::spawn(async move {
                    for i in range {
                        tx.send(i).await.unwrap();
                    }
                })
            },
            move || {
                let rx = rx.clone();
                tokio::spawn(async move {
                    while let Ok(item) = rx.recv().await {
                        black_box(item);
                    }
                })
            },
            async |producers| {
                for producer in producers {
                    producer.await.unwrap();
                }
            },
        )
    })
}

/// Issue 8's scaling: `Queue` against async-channel on 1, 2 and 4 worker
/// threads, at several sizes, so the growth of cost with work is visible.
fn scaling() {
    let sizes: &[u64] = if quick() {
        &[1_000, 100_000]
    } else {
        &[1_000, 100_000, 1_000_000]
    };
    for threads in [1, 2, 4] {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .expect("runtime");
        let rt = &rt;
        for &items in sizes {
            compare(
                &format!("queue scaling {items} items[mt{threads}]"),
                vec![
                    async_kit_case!("Queue", rt, items, Queue::bounded(CAPACITY)),
                    async_channel_case(rt, items),
                ],
            );
        }
    }
}

fn main() {
    let items: u64 = if quick() { 250_000 } else { 1_000_000 };
    for (rt_name, rt) in runtimes() {
        let rt = &rt;
        compare(
            &format!("queue 4x4 cap {CAPACITY}[{rt_name}]"),
            vec![
                async_kit_case!("Queue", rt, items, Queue::bounded(CAPACITY)),
                async_channel_case(rt, items),
                Case::batch("async-channel + counter", items, || {
                    // What a user would bolt on for join: an unfinished
                    // count, and a Notify that the last task_done fires.
                    let (tx, rx) = async_channel::bounded(CAPACITY);
                    let tasks = Arc::new((AtomicUsize::new(0), Notify::new()));
                    let done_tasks = tasks.clone();
                    let join_tasks = tasks.clone();
                    run(
                        rt,
                        items,
                        move |range| {
                            let (tx, tasks) = (tx.clone(), tasks.clone());
                            tokio::spawn(async move {
                                for i in range {
                                    tasks.0.fetch_add(1, Ordering::SeqCst);
                                    tx.send(i).await.unwrap();
                                }
                            })
                        },
                        move || {
                            let (rx, tasks) = (rx.clone(), done_tasks.clone());
                            tokio::spawn(async move {
                                while let Ok(item) = rx.recv().await {
                                    black_box(item);
                                    if tasks.0.fetch_sub(1, Ordering::SeqCst) == 1 {
                                        tasks.1.notify_waiters();
                                    }
                                }
                            })
                        },
                        async |producers| {
                            for producer in producers {
                                producer.await.unwrap();
                            }
                            loop {
                                let notified = join_tasks.1.notified();
                                if join_tasks.0.load(Ordering::SeqCst) == 0 {
                                    break;
                                }
                                notified.await;
                            }
                        },
                    )
                }),
                Case::batch("flume", items, || {
                    let (tx, rx) = flume::bounded(CAPACITY);
                    run(
                        rt,
                        items,
                        move |range| {
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                for i in range {
                                    tx.send_async(i).await.unwrap();
                                }
                            })
                        },
                        move || {
                            let rx = rx.clone();
                            tokio::spawn(async move {
                                while let Ok(item) = rx.recv_async().await {
                                    black_box(item);
                                }
                            })
                        },
                        async |producers| {
                            for producer in producers {
                                producer.await.unwrap();
                            }
                        },
                    )
                }),
                Case::batch("kanal", items, || {
                    let (tx, rx) = kanal::bounded_async(CAPACITY);
                    run(
                        rt,
                        items,
                        move |range| {
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                for i in range {
                                    tx.send(i).await.unwrap();
                                }
                            })
                        },
                        move || {
                            let rx = rx.clone();
                            tokio::spawn(async move {
                                while let Ok(item) = rx.recv().await {
                                    black_box(item);
                                }
                            })
                        },
                        async |producers| {
                            for producer in producers {
                                producer.await.unwrap();
                            }
                        },
                    )
                }),
                Case::batch("tokio mpsc 4x1", items, || {
                    let (tx, mut rx) = tokio::sync::mpsc::channel(CAPACITY);
                    rt.block_on(async {
                        let start = Instant::now();
                        let consumer = tokio::spawn(async move {
                            while let Some(item) = rx.recv().await {
                                black_box(item);
                            }
                        });
                        let per = items / PRODUCERS;
                        for p in 0..PRODUCERS {
                            let tx = tx.clone();
                            tokio::spawn(async move {
                                for i in p * per..(p + 1) * per {
                                    tx.send(i).await.unwrap();
                                }
                            });
                        }
                        drop(tx);
                        consumer.await.unwrap();
                        start.elapsed()
                    })
                }),
                async_kit_case!("PriorityQueue", rt, items, PriorityQueue::bounded(CAPACITY)),
                async_kit_case!("LifoQueue", rt, items, LifoQueue::bounded(CAPACITY)),
            ],
        );
    }
    scaling();
}
