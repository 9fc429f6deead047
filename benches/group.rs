//! `TaskGroup` against what tokio users assemble by hand (issue 12), side
//! by side in one run: spawn + join of 100,000 trivial children with no
//! limit (against a bare `JoinSet`) and at limit 64 (against `JoinSet` +
//! `Semaphore` + `CancellationToken`); cancelling 10,000 sleeping children
//! until every one is dropped (against `JoinSet::abort_all`); and the cost
//! of deadline inheritance on a spawn with no deadline (`spawn` against
//! `spawn_detached`, which skips it).
//!
//! `ASYNC_KIT_BENCH_QUICK=1 cargo bench -p async-kit-benches --bench group`

mod harness;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_kit::task::TaskGroup;
use harness::{Case, compare, runtimes};
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

const TASKS: u64 = 100_000;
const LIMIT: usize = 64;
const SLEEPERS: u64 = 10_000;

/// Spawns `TASKS` trivial children into a group and joins it.
fn group_spawn_join(rt: &Runtime, limit: Option<usize>, inherit: bool) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let mut group = TaskGroup::<u64, ()>::new();
        if let Some(limit) = limit {
            group = group.with_limit(limit);
        }
        for i in 0..TASKS {
            let child = async move { Ok(black_box(i)) };
            let spawned = if inherit {
                group.spawn(child).await
            } else {
                group.spawn_detached(child).await
            };
            spawned.expect("the group is open");
        }
        let sum: u64 = group.join().await.expect("no child fails").iter().sum();
        black_box(sum);
        start.elapsed()
    })
}

/// A bare `JoinSet`: spawn, then `join_next` until empty.
fn joinset_spawn_join(rt: &Runtime) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let mut set = JoinSet::new();
        for i in 0..TASKS {
            set.spawn(async move { black_box(i) });
        }
        let mut sum = 0;
        while let Some(out) = set.join_next().await {
            sum += out.expect("no task fails");
        }
        black_box(sum);
        start.elapsed()
    })
}

/// What users write for a limited, cancellable group: a `JoinSet`, a
/// `Semaphore` for the limit, a `CancellationToken` each task selects on.
fn joinset_semaphore_token(rt: &Runtime) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        let sem = Arc::new(Semaphore::new(LIMIT));
        let token = CancellationToken::new();
        let mut set = JoinSet::new();
        for i in 0..TASKS {
            let permit = sem.clone().acquire_owned().await.expect("open");
            let token = token.clone();
            set.spawn(async move {
                let _permit = permit;
                tokio::select! {
                    biased;
                    () = token.cancelled() => None,
                    out = async move { black_box(i) } => Some(out),
                }
            });
        }
        let mut sum = 0;
        while let Some(out) = set.join_next().await {
            sum += out.expect("no task fails").expect("not cancelled");
        }
        black_box(sum);
        start.elapsed()
    })
}

/// Counts its drops.
struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Starts `SLEEPERS` children asleep for an hour, waits until they all
/// sleep, then times `abort` + `join` (every child dropped).
fn group_cancel_sleepers(rt: &Runtime) -> Duration {
    rt.block_on(async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let group = TaskGroup::<(), ()>::new();
        for _ in 0..SLEEPERS {
            let guard = Guard(dropped.clone());
            group
                .spawn(async move {
                    let _guard = guard;
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(())
                })
                .await
                .expect("the group is open");
        }
        while group.figures().running < SLEEPERS as usize {
            tokio::task::yield_now().await;
        }
        let start = Instant::now();
        group.abort();
        let err = group.join().await.expect_err("every child is cancelled");
        let elapsed = start.elapsed();
        assert_eq!(err.cancelled().len(), SLEEPERS as usize);
        assert_eq!(dropped.load(Ordering::Relaxed), SLEEPERS as usize);
        elapsed
    })
}

/// The same with a `JoinSet`: `abort_all`, then `join_next` until empty.
fn joinset_abort_sleepers(rt: &Runtime) -> Duration {
    rt.block_on(async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..SLEEPERS {
            let guard = Guard(dropped.clone());
            let started = started.clone();
            set.spawn(async move {
                let _guard = guard;
                started.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs(3600)).await;
            });
        }
        while started.load(Ordering::Relaxed) < SLEEPERS as usize {
            tokio::task::yield_now().await;
        }
        let start = Instant::now();
        set.abort_all();
        while set.join_next().await.is_some() {}
        let elapsed = start.elapsed();
        assert_eq!(dropped.load(Ordering::Relaxed), SLEEPERS as usize);
        elapsed
    })
}

fn main() {
    for (rt_name, rt) in runtimes() {
        let rt = &rt;
        compare(
            &format!("spawn + join {TASKS} children, no limit [{rt_name}]"),
            vec![
                Case::batch("TaskGroup", TASKS, || group_spawn_join(rt, None, true)),
                Case::batch("JoinSet", TASKS, || joinset_spawn_join(rt)),
            ],
        );
        compare(
            &format!("spawn + join {TASKS} children, limit {LIMIT} [{rt_name}]"),
            vec![
                Case::batch("TaskGroup", TASKS, || {
                    group_spawn_join(rt, Some(LIMIT), true)
                }),
                Case::batch("JoinSet + Semaphore + CancellationToken", TASKS, || {
                    joinset_semaphore_token(rt)
                }),
            ],
        );
        compare(
            &format!("cancel {SLEEPERS} sleeping children until all dropped [{rt_name}]"),
            vec![
                Case::batch("TaskGroup::abort + join", SLEEPERS, || {
                    group_cancel_sleepers(rt)
                }),
                Case::batch("JoinSet::abort_all + join_next", SLEEPERS, || {
                    joinset_abort_sleepers(rt)
                }),
            ],
        );
        compare(
            &format!("deadline inheritance, no deadline set, {TASKS} children [{rt_name}]"),
            vec![
                Case::batch("TaskGroup::spawn (inherits)", TASKS, || {
                    group_spawn_join(rt, None, true)
                }),
                Case::batch("TaskGroup::spawn_detached", TASKS, || {
                    group_spawn_join(rt, None, false)
                }),
            ],
        );
    }
}
