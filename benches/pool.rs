//! `TaskPool` and `Limiter` against what tokio users write today, side by
//! side in one run (issue 3): 100,000 trivial tasks at limit 64 (spawn with
//! handles awaited, spawn with handles dropped, and `map`), and the cost of
//! one limited call; and the cost of passing the spawner's deadline on
//! when none is set (issue 12).
//!
//! Peers for the pool: a hand-written `JoinSet` + `Semaphore`,
//! `futures::stream::buffer_unordered(64)` with and without `tokio::spawn`,
//! and the `tokio-task-pool` crate. Peer for the limiter: a bare
//! `tokio::sync::Semaphore` acquire and release.
//!
//! `ASYNC_KIT_BENCH_QUICK=1 cargo bench -p async-kit-benches --bench pool`

mod harness;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_kit::sync::Limiter;
use async_kit::task::TaskPool;
use futures::StreamExt;
use harness::{Case, compare, quick, runtimes};
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const TASKS: u64 = 100_000;
const LIMIT: usize = 64;

/// Spawns `tasks` trivial tasks on `pool` and awaits every handle.
fn spawn_on_pool(rt: &Runtime, pool: &TaskPool, tasks: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let mut handles = Vec::with_capacity(tasks as usize);
        for i in 0..tasks {
            let handle = pool.spawn(async move { black_box(i) }).await;
            handles.push(handle.expect("the pool is open"));
        }
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.expect("no task fails");
        }
        black_box(sum);
        start.elapsed()
    })
}

/// What users write by hand: a `JoinSet`, with a `Semaphore` for the limit.
fn spawn_on_joinset(rt: &Runtime, tasks: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let sem = Arc::new(Semaphore::new(LIMIT));
        let mut set = JoinSet::new();
        for i in 0..tasks {
            let permit = sem.clone().acquire_owned().await.expect("open");
            set.spawn(async move {
                let _permit = permit;
                black_box(i)
            });
        }
        let mut sum = 0;
        while let Some(out) = set.join_next().await {
            sum += out.expect("no task fails");
        }
        black_box(sum);
        start.elapsed()
    })
}

/// Issue 8's scaling: `TaskPool::spawn` against `JoinSet` + `Semaphore` on
/// 1, 2 and 4 worker threads, at several sizes.
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
        let pool = rt.block_on(async { TaskPool::new(LIMIT) });
        for &tasks in sizes {
            compare(
                &format!("pool scaling {tasks} tasks, limit {LIMIT}[mt{threads}]"),
                vec![
                    Case::batch("TaskPool::spawn", tasks, || spawn_on_pool(rt, &pool, tasks)),
                    Case::batch("JoinSet + Semaphore", tasks, || spawn_on_joinset(rt, tasks)),
                ],
            );
        }
    }
}

fn main() {
    for (rt_name, rt) in runtimes() {
        let rt = &rt;
        let pool = rt.block_on(async { TaskPool::new(LIMIT) });
        let peer_pool = tokio_task_pool::Pool::bounded(LIMIT);
        compare(
            &format!("spawn {TASKS} tasks, limit {LIMIT} [{rt_name}]"),
            vec![
                Case::batch("TaskPool::spawn", TASKS, || spawn_on_pool(rt, &pool, TASKS)),
                Case::batch("JoinSet + Semaphore", TASKS, || spawn_on_joinset(rt, TASKS)),
                Case::batch("buffer_unordered(spawn)", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let sum = futures::stream::iter(0..TASKS)
                            .map(|i| tokio::spawn(async move { black_box(i) }))
                            .buffer_unordered(LIMIT)
                            .fold(
                                0,
                                |sum, out| async move { sum + out.expect("no task fails") },
                            )
                            .await;
                        black_box(sum);
                        start.elapsed()
                    })
                }),
                Case::batch("tokio-task-pool", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let mut handles = Vec::with_capacity(TASKS as usize);
                        for i in 0..TASKS {
                            let handle = peer_pool.spawn(async move { black_box(i) }).await;
                            handles.push(handle.expect("the pool is open"));
                        }
                        let mut sum = 0;
                        for handle in handles {
                            sum += handle.await.expect("no panic").expect("no timeout");
                        }
                        black_box(sum);
                        start.elapsed()
                    })
                }),
                Case::batch("buffer_unordered (one task)", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let sum = futures::stream::iter(0..TASKS)
                            .map(|i| async move { black_box(i) })
                            .buffer_unordered(LIMIT)
                            .fold(0, |sum, out| async move { sum + out })
                            .await;
                        black_box(sum);
                        start.elapsed()
                    })
                }),
            ],
        );

        // Issue 12: a spawn reads the deadline in force (one thread-local
        // read) to pass it on; a pool built without inheritance skips it.
        let detached = rt.block_on(async {
            TaskPool::builder()
                .limit(LIMIT)
                .inherit_deadline(false)
                .build()
        });
        compare(
            &format!("deadline inheritance, no deadline set, {TASKS} tasks [{rt_name}]"),
            vec![
                Case::batch("TaskPool::spawn (inherits)", TASKS, || {
                    spawn_on_pool(rt, &pool, TASKS)
                }),
                Case::batch("TaskPool, inherit_deadline(false)", TASKS, || {
                    spawn_on_pool(rt, &detached, TASKS)
                }),
            ],
        );

        compare(
            &format!("spawn {TASKS} tasks, handles dropped, limit {LIMIT} [{rt_name}]"),
            vec![
                Case::batch("TaskPool::spawn + join", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..TASKS {
                            let handle = pool.spawn(async move { black_box(i) }).await;
                            drop(handle.expect("the pool is open"));
                        }
                        pool.join().await;
                        start.elapsed()
                    })
                }),
                Case::batch("JoinSet + Semaphore", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let sem = Arc::new(Semaphore::new(LIMIT));
                        let mut set = JoinSet::new();
                        for i in 0..TASKS {
                            let permit = sem.clone().acquire_owned().await.expect("open");
                            set.spawn(async move {
                                let _permit = permit;
                                black_box(i)
                            });
                        }
                        while let Some(out) = set.join_next().await {
                            black_box(out.expect("no task fails"));
                        }
                        start.elapsed()
                    })
                }),
            ],
        );

        compare(
            &format!("map {TASKS} inputs, limit {LIMIT} [{rt_name}]"),
            vec![
                Case::batch("TaskPool::map", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let sum = pool
                            .map(0..TASKS, |i| async move { black_box(i) })
                            .fold(
                                0,
                                |sum, out| async move { sum + out.expect("no task fails") },
                            )
                            .await;
                        black_box(sum);
                        start.elapsed()
                    })
                }),
                Case::batch("TaskPool::map window(limit)", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let sum = pool
                            .map(0..TASKS, |i| async move { black_box(i) })
                            .window(LIMIT)
                            .fold(
                                0,
                                |sum, out| async move { sum + out.expect("no task fails") },
                            )
                            .await;
                        black_box(sum);
                        start.elapsed()
                    })
                }),
                Case::batch("TaskPool::map ordered", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let sum = pool
                            .map(0..TASKS, |i| async move { black_box(i) })
                            .ordered()
                            .fold(
                                0,
                                |sum, out| async move { sum + out.expect("no task fails") },
                            )
                            .await;
                        black_box(sum);
                        start.elapsed()
                    })
                }),
                Case::batch("buffer_unordered (one task)", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let sum = futures::stream::iter(0..TASKS)
                            .map(|i| async move { black_box(i) })
                            .buffer_unordered(LIMIT)
                            .fold(0, |sum, out| async move { sum + out })
                            .await;
                        black_box(sum);
                        start.elapsed()
                    })
                }),
                Case::batch("buffer_unordered(spawn)", TASKS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let sum = futures::stream::iter(0..TASKS)
                            .map(|i| tokio::spawn(async move { black_box(i) }))
                            .buffer_unordered(LIMIT)
                            .fold(
                                0,
                                |sum, out| async move { sum + out.expect("no task fails") },
                            )
                            .await;
                        black_box(sum);
                        start.elapsed()
                    })
                }),
            ],
        );

        let limiter = Limiter::new(LIMIT);
        let semaphore = Semaphore::new(LIMIT);
        compare(
            &format!("one limited call [{rt_name}]"),
            vec![
                Case::iter("Limiter::run", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(limiter.run(async { black_box(i) }).await);
                        }
                        start.elapsed()
                    })
                }),
                Case::iter("Semaphore acquire + release", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            let permit = semaphore.acquire().await.expect("open");
                            black_box(async { black_box(i) }.await);
                            drop(permit);
                        }
                        start.elapsed()
                    })
                }),
            ],
        );
    }
    scaling();
}
