//! Model-based tests of the `TaskPool`: random sequences of spawn, abort,
//! finish, set_limit and shutdown, on both runtimes, checked against the
//! pool's invariants:
//!
//! - a task never starts while as many run as the limit allows: at its
//!   start, the tasks running (itself included) are at most the highest
//!   limit in force since the oldest task still alive was admitted (tasks
//!   admitted before a shrink keep their places; which task takes such a
//!   place is not part of this model: the queue order after a shrink is
//!   tested on its own, in `task_pool.rs`);
//! - every task is reported exactly once: its handle gives one outcome that
//!   agrees with what its body did (completed ⇔ `Ok`), its future is
//!   dropped exactly once, and the figures count each task once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_kit::task::{TaskError, TaskPool, TrySpawnError};
use proptest::prelude::*;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy)]
enum Op {
    /// `try_spawn` a task that runs until it is told to finish.
    Spawn,
    /// Finish every task, then `spawn(..).await`, which may wait for a
    /// slot to come free.
    SpawnWaiting,
    /// Tell task `i % spawned` to finish.
    Finish(usize),
    /// Abort task `i % spawned`.
    Abort(usize),
    SetLimit(usize),
    /// Let the runtime run for a while.
    Yield,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Spawn),
        1 => Just(Op::SpawnWaiting),
        4 => any::<usize>().prop_map(Op::Finish),
        1 => any::<usize>().prop_map(Op::Abort),
        1 => (1_usize..5).prop_map(Op::SetLimit),
        3 => Just(Op::Yield),
    ]
}

#[derive(Default)]
struct Shared {
    running: AtomicUsize,
    /// Every limit set, in order; a task admitted after `n` of them were set
    /// may run under any of `limits[n - 1..]`.
    limits: Mutex<Vec<usize>>,
    /// Tasks admitted and not yet dropped: index → how many limits had been
    /// set when it was admitted.
    alive: Mutex<std::collections::BTreeMap<usize, usize>>,
    /// Violations seen by the tasks, reported at the end.
    violations: Mutex<Vec<String>>,
}

struct Task {
    finish: Option<oneshot::Sender<()>>,
    handle: async_kit::task::TaskHandle<usize>,
    completed: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

struct CountDrop(Arc<AtomicUsize>, Arc<Shared>, usize);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.1.alive.lock().unwrap().remove(&self.2);
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn body(
    index: usize,
    shared: Arc<Shared>,
    admitted_under: usize,
    finish: oneshot::Receiver<()>,
    completed: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
) -> impl Future<Output = usize> + Send + 'static {
    shared.alive.lock().unwrap().insert(index, admitted_under);
    let guard = CountDrop(dropped, shared.clone(), index);
    async move {
        let _guard = guard;
        let now = shared.running.fetch_add(1, Ordering::SeqCst) + 1;
        let oldest = shared
            .alive
            .lock()
            .unwrap()
            .values()
            .copied()
            .min()
            .unwrap_or(admitted_under);
        let allowed = shared.limits.lock().unwrap()[oldest..]
            .iter()
            .copied()
            .max()
            .unwrap();
        if now > allowed {
            shared.violations.lock().unwrap().push(format!(
                "task {index} started with {now} running, limit {allowed}"
            ));
        }
        struct Leave<'a>(&'a AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let _leave = Leave(&shared.running);
        let _ = finish.await;
        completed.fetch_add(1, Ordering::SeqCst);
        index
    }
}

async fn run(ops: Vec<Op>, first_limit: usize, queue: usize) -> Result<(), TestCaseError> {
    // With a queue, admitted tasks can outnumber the limit: then the
    // workers, not only the admission slots, must hold it.
    let pool = TaskPool::builder()
        .limit(first_limit)
        .queue_capacity(queue)
        .build();
    let shared = Arc::new(Shared::default());
    shared.limits.lock().unwrap().push(first_limit);
    let mut tasks: Vec<Task> = Vec::new();
    for op in ops {
        match op {
            Op::Spawn | Op::SpawnWaiting => {
                let index = tasks.len();
                let (finish, finished) = oneshot::channel();
                let completed = Arc::new(AtomicUsize::new(0));
                let dropped = Arc::new(AtomicUsize::new(0));
                // The limits in force from now on; `spawn` admits the task
                // under the last limit set before it returns.
                let since = shared.limits.lock().unwrap().len() - 1;
                let fut = body(
                    index,
                    shared.clone(),
                    since,
                    finished,
                    completed.clone(),
                    dropped.clone(),
                );
                let handle = if matches!(op, Op::Spawn) {
                    match pool.try_spawn(fut) {
                        Ok(handle) => handle,
                        Err(err) => {
                            prop_assert!(
                                matches!(err, TrySpawnError::Full(_)),
                                "try_spawn on an open pool: {}",
                                err
                            );
                            drop(err);
                            prop_assert_eq!(dropped.load(Ordering::SeqCst), 1);
                            continue;
                        }
                    }
                } else {
                    // Waits for a slot: finish every task first, so that one
                    // must come free.
                    for task in &mut tasks {
                        if let Some(finish) = task.finish.take() {
                            let _ = finish.send(());
                        }
                    }
                    match tokio::time::timeout(Duration::from_secs(10), pool.spawn(fut)).await {
                        Ok(Ok(handle)) => handle,
                        Ok(Err(_)) => {
                            return Err(TestCaseError::fail("spawn on an open pool failed"));
                        }
                        Err(_) => {
                            return Err(TestCaseError::fail(
                                "no slot came free after every task was finished",
                            ));
                        }
                    }
                };
                tasks.push(Task {
                    finish: Some(finish),
                    handle,
                    completed,
                    dropped,
                });
            }
            Op::Finish(i) if !tasks.is_empty() => {
                let n = tasks.len();
                if let Some(finish) = tasks[i % n].finish.take() {
                    let _ = finish.send(());
                }
            }
            Op::Abort(i) if !tasks.is_empty() => {
                let n = tasks.len();
                tasks[i % n].handle.abort();
            }
            Op::SetLimit(limit) => {
                shared.limits.lock().unwrap().push(limit);
                pool.set_limit(limit);
            }
            Op::Yield => {
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
            }
            Op::Finish(_) | Op::Abort(_) => {}
        }
    }
    // Let half of what is left finish by itself within the grace period;
    // the rest is dropped by the shutdown.
    for task in tasks.iter_mut().step_by(2) {
        if let Some(finish) = task.finish.take() {
            let _ = finish.send(());
        }
    }
    let report = pool.shutdown(Duration::from_millis(10)).await;

    let violations = shared.violations.lock().unwrap().clone();
    prop_assert!(violations.is_empty(), "{:?}", violations);
    let (mut ok, mut aborted) = (0_u64, 0_u64);
    for (index, task) in tasks.into_iter().enumerate() {
        let completed = task.completed.load(Ordering::SeqCst);
        match task.handle.await {
            Ok(value) => {
                prop_assert_eq!(value, index);
                prop_assert_eq!(completed, 1, "task {} gave Ok without completing", index);
                ok += 1;
            }
            Err(TaskError::Aborted | TaskError::Shutdown) => {
                prop_assert_eq!(
                    completed,
                    0,
                    "task {} completed but was reported cut",
                    index
                );
                aborted += 1;
            }
            // No deadline is in force here, so no task is stopped at one.
            Err(err) => prop_assert!(false, "task {} ended with {:?}", index, err),
        }
        prop_assert_eq!(
            task.dropped.load(Ordering::SeqCst),
            1,
            "task {}'s future dropped once",
            index
        );
    }
    let figures = pool.figures();
    prop_assert_eq!(figures.completed, ok);
    prop_assert_eq!(figures.aborted, aborted);
    prop_assert_eq!(figures.panicked, 0);
    prop_assert_eq!(figures.running, 0);
    prop_assert!(report.completed <= ok && report.aborted <= aborted);
    prop_assert_eq!(shared.running.load(Ordering::SeqCst), 0);
    Ok(())
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn pool_invariants_current_thread(ops in ops(), limit in 1_usize..5, queue in 0_usize..4) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(run(ops, limit, queue))?;
    }

    #[test]
    fn pool_invariants_multi_thread(ops in ops(), limit in 1_usize..5, queue in 0_usize..4) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(run(ops, limit, queue))?;
    }
}
