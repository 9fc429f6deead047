//! TaskGroup: fail fast, supervisor, limit, cancellation tree, deadlines
//! across spawn, scopes and drops. Every behaviour runs on both runtimes:
//! on the current-thread runtime with the paused clock, on the multi-thread
//! runtime with children that wait on channels instead of the clock.

use std::future::pending;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::task::{
    ChildError, GroupHandle, Outcome, TaskGroup, TrySpawnError, scope, supervisor_scope,
};
use tokio::sync::oneshot;
use tokio::time::Instant;

#[macro_use]
mod both_runtimes;

both_runtimes!(
    a_failing_child_cancels_a_sleeping_sibling_at_once,
    errors_are_aggregated_in_the_order_they_occurred,
    a_cleanup_panic_of_a_cancelled_sibling_is_reported_after_the_failure,
    supervisor_keeps_the_siblings_running,
    a_limit_of_8_is_never_exceeded_over_10_000_children,
    try_spawn_hands_the_future_back_when_full,
    cancelling_the_parent_cancels_grandchildren,
    cancelling_a_child_group_leaves_the_parent_alone,
    aborting_the_parent_drops_grandchildren,
    children_inherit_the_spawners_deadline,
    a_detached_child_ignores_the_deadline,
    a_detached_child_completes_after_the_deadline,
    a_scope_returns_only_after_its_children,
    a_failing_child_drops_the_scope_body,
    a_panic_in_a_child_is_reported_not_raised,
    dropping_a_group_mid_run_leaks_nothing,
    dropping_a_scope_future_cancels_its_children,
    children_spawn_siblings_through_a_handle,
    shutdown_lets_cooperative_children_finish,
    done_callbacks_see_every_outcome_before_join_returns,
);

/// Counts its drops.
struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// Waits until `done`: scheduler turns first, then (for a loaded machine's
/// multi-thread runtime) short sleeps, a bounded number of times. No
/// assertion is made about how long it takes.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for turn in 0..20_000 {
        if done() {
            return;
        }
        if turn < 1_000 {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    panic!("never happened: {what}");
}

async fn a_failing_child_cancels_a_sleeping_sibling_at_once(_multi: bool) {
    let dropped = counter();
    let group = TaskGroup::<(), &str>::new();
    let guard = Guard(dropped.clone());
    group
        .spawn(async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        })
        .await
        .unwrap();
    group
        .spawn(async {
            tokio::task::yield_now().await;
            Err("broken")
        })
        .await
        .unwrap();
    let start = Instant::now();
    let err = group.join().await.unwrap_err();
    // The sibling's drop guard ran before `join` returned, long before its
    // sleep would have ended.
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert!(start.elapsed() < Duration::from_secs(3600));
    assert_eq!(err.failures().len(), 1);
    assert_eq!(err.failures()[0].index, 1);
    assert!(matches!(
        err.failures()[0].error,
        ChildError::Failed("broken")
    ));
    assert_eq!(err.cancelled(), [0]);
}

async fn errors_are_aggregated_in_the_order_they_occurred(_multi: bool) {
    // A supervisor lets all three fail; they fail in the order 1, 2, 0.
    let group = TaskGroup::<(), usize>::supervisor();
    let mut senders = Vec::new();
    for index in 0..3 {
        let (tx, rx) = oneshot::channel::<()>();
        senders.push(tx);
        group
            .spawn(async move {
                let _ = rx.await;
                Err(index)
            })
            .await
            .unwrap();
    }
    let mut senders: Vec<Option<oneshot::Sender<()>>> = senders.into_iter().map(Some).collect();
    for (n, index) in [1, 2, 0].into_iter().enumerate() {
        senders[index].take().unwrap().send(()).unwrap();
        eventually("the child failed", || {
            group.figures().failed == n as u64 + 1
        })
        .await;
    }
    let err = group.join().await.unwrap_err();
    let order: Vec<usize> = err.failures().iter().map(|f| f.index).collect();
    assert_eq!(order, [1, 2, 0]);
    let errors: Vec<usize> = err
        .into_failures()
        .into_iter()
        .map(|f| f.error.into_failed().unwrap())
        .collect();
    assert_eq!(errors, [1, 2, 0]);
}

/// Panics when dropped: a cleanup that fails.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("cleanup failed");
    }
}

async fn a_cleanup_panic_of_a_cancelled_sibling_is_reported_after_the_failure(_multi: bool) {
    let group = TaskGroup::<(), &str>::new();
    let (started_tx, started_rx) = oneshot::channel();
    group
        .spawn(async move {
            let _bomb = PanicOnDrop;
            let _ = started_tx.send(());
            pending::<()>().await;
            Ok(())
        })
        .await
        .unwrap();
    started_rx.await.unwrap();
    group.spawn(async { Err("first") }).await.unwrap();
    let err = group.join().await.unwrap_err();
    assert_eq!(err.failures().len(), 2);
    assert_eq!(err.failures()[0].index, 1);
    assert!(matches!(
        err.failures()[0].error,
        ChildError::Failed("first")
    ));
    assert_eq!(err.failures()[1].index, 0);
    let failures = err.into_failures();
    let ChildError::Panicked(payload) = &failures[1].error else {
        panic!("the cleanup panic is reported")
    };
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"cleanup failed"));
}

async fn supervisor_keeps_the_siblings_running(_multi: bool) {
    let group = TaskGroup::<u32, &str>::supervisor();
    let (tx, rx) = oneshot::channel::<u32>();
    group.spawn(async { Err("early") }).await.unwrap();
    group
        .spawn(async move { Ok(rx.await.unwrap()) })
        .await
        .unwrap();
    eventually("the first child failed", || group.figures().failed == 1).await;
    assert!(!group.token().is_cancelled());
    tx.send(7).unwrap();
    let outcomes = group.join_outcomes().await;
    assert!(matches!(outcomes[0], Err(ChildError::Failed("early"))));
    assert_eq!(outcomes[1].as_ref().ok(), Some(&7));
}

/// A small xorshift, so that the test needs no `rand`.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

async fn a_limit_of_8_is_never_exceeded_over_10_000_children(multi: bool) {
    let running = counter();
    let peak = counter();
    let group = TaskGroup::<(), u64>::supervisor().with_limit(8);
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let mut expected_failures = 0;
    for _ in 0..10_000 {
        let roll = next(&mut seed);
        let fails = roll % 5 == 0;
        expected_failures += u64::from(fails);
        let (running, peak) = (running.clone(), peak.clone());
        group
            .spawn(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                if multi {
                    for _ in 0..roll % 4 {
                        tokio::task::yield_now().await;
                    }
                } else {
                    tokio::time::sleep(Duration::from_millis(roll % 50)).await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                if fails { Err(roll) } else { Ok(()) }
            })
            .await
            .unwrap();
    }
    let outcomes = group.join_outcomes().await;
    assert_eq!(outcomes.len(), 10_000);
    let failures = outcomes.iter().filter(|o| o.is_err()).count() as u64;
    assert_eq!(failures, expected_failures);
    assert!(
        peak.load(Ordering::SeqCst) <= 8,
        "peak {}",
        peak.load(Ordering::SeqCst)
    );
    if !multi {
        // With sleeping children the limit is reached, not just respected.
        assert_eq!(peak.load(Ordering::SeqCst), 8);
    }
}

async fn try_spawn_hands_the_future_back_when_full(_multi: bool) {
    let group = TaskGroup::<u8, ()>::new().with_limit(1);
    let (tx, rx) = oneshot::channel::<()>();
    group
        .try_spawn(async move {
            let _ = rx.await;
            Ok(1)
        })
        .unwrap();
    let Err(TrySpawnError::Full(fut)) = group.try_spawn(async { Ok(2) }) else {
        panic!("the group is full")
    };
    assert_eq!(fut.await, Ok(2));
    tx.send(()).unwrap();
    assert_eq!(group.join().await.unwrap(), [1]);
}

async fn cancelling_the_parent_cancels_grandchildren(_multi: bool) {
    let parent = TaskGroup::<&str, ()>::new();
    let (ready_tx, ready_rx) = oneshot::channel();
    parent
        .spawn(async move {
            // Made inside a child of `parent`: its token is a child of
            // `parent`'s.
            let nested = TaskGroup::<&str, ()>::new();
            let token = nested.token();
            nested
                .spawn(async move {
                    token.cancelled().await;
                    Ok("grandchild saw the cancel")
                })
                .await
                .unwrap();
            let _ = ready_tx.send(());
            let outputs = nested.join().await.unwrap();
            Ok(outputs[0])
        })
        .await
        .unwrap();
    ready_rx.await.unwrap();
    parent.cancel();
    assert_eq!(parent.join().await.unwrap(), ["grandchild saw the cancel"]);
}

async fn cancelling_a_child_group_leaves_the_parent_alone(_multi: bool) {
    let parent = TaskGroup::<bool, ()>::new();
    let parent_token = parent.token();
    parent
        .spawn(async move {
            let nested = TaskGroup::<(), ()>::new();
            nested.cancel();
            assert!(nested.token().is_cancelled());
            nested.join().await.unwrap();
            Ok(parent_token.is_cancelled())
        })
        .await
        .unwrap();
    let token = parent.token();
    assert_eq!(parent.join().await.unwrap(), [false]);
    assert!(!token.is_cancelled());
}

async fn aborting_the_parent_drops_grandchildren(_multi: bool) {
    let dropped = counter();
    let parent = TaskGroup::<(), ()>::new();
    let (ready_tx, ready_rx) = oneshot::channel();
    let guards = dropped.clone();
    parent
        .spawn(async move {
            let nested = TaskGroup::<(), ()>::new();
            for _ in 0..3 {
                let guard = Guard(guards.clone());
                nested
                    .spawn(async move {
                        let _guard = guard;
                        pending().await
                    })
                    .await
                    .unwrap();
            }
            let _ = ready_tx.send(());
            nested.join().await.map(|_| ()).map_err(|_| ())
        })
        .await
        .unwrap();
    ready_rx.await.unwrap();
    parent.abort();
    assert_eq!(parent.join().await.unwrap_err().cancelled(), [0]);
    // The nested group was dropped with its child; its own children are
    // dropped by the runtime at their next chance.
    eventually("grandchildren dropped", || {
        dropped.load(Ordering::SeqCst) == 3
    })
    .await;
}

async fn children_inherit_the_spawners_deadline(multi: bool) {
    // The multi-thread runtime has no paused clock: a zero budget makes the
    // deadline pass at once.
    let budget = if multi {
        Duration::ZERO
    } else {
        Duration::from_secs(5)
    };
    let group = TaskGroup::<Option<Instant>, ()>::supervisor();
    let start = Instant::now();
    let expected = async_kit::time::timeout(budget, async {
        group
            .spawn(async { Ok(async_kit::deadline()) })
            .await
            .unwrap();
        group
            .spawn(async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(None)
            })
            .await
            .unwrap();
        async_kit::deadline()
    })
    .await
    .unwrap();
    let outcomes = group.join_outcomes().await;
    assert_eq!(outcomes[0].as_ref().ok(), Some(&expected));
    assert!(expected.is_some());
    let Err(ChildError::Elapsed(elapsed)) = &outcomes[1] else {
        panic!(
            "the sleeping child is stopped at the deadline: {:?}",
            outcomes[1]
        )
    };
    assert!(elapsed.is_inherited());
    if !multi {
        assert_eq!(start.elapsed(), budget);
    }
}

async fn a_detached_child_ignores_the_deadline(multi: bool) {
    let budget = if multi {
        Duration::ZERO
    } else {
        Duration::from_secs(1)
    };
    // Fail fast: a sibling stopped at the deadline still aborts no one.
    let group = TaskGroup::<Option<Instant>, ()>::new();
    let (tx, rx) = oneshot::channel::<()>();
    async_kit::time::timeout(budget, async {
        group
            .spawn(async {
                pending::<()>().await;
                Ok(None)
            })
            .await
            .unwrap();
        group
            .spawn_detached(async move {
                let _ = rx.await;
                if !multi {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
                Ok(async_kit::deadline())
            })
            .await
            .unwrap();
    })
    .await
    .unwrap();
    if !multi {
        // Past the deadline (the paused clock moves only while all wait).
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    eventually("the bounded child stopped", || group.figures().failed == 1).await;
    tx.send(()).unwrap();
    let err = group.join().await.unwrap_err();
    assert!(err.cancelled().is_empty());
    assert_eq!(err.failures().len(), 1);
    assert_eq!(err.failures()[0].index, 0);
    assert!(matches!(err.failures()[0].error, ChildError::Elapsed(e) if e.is_inherited()));
}

async fn a_detached_child_completes_after_the_deadline(multi: bool) {
    let group = TaskGroup::<Option<Instant>, ()>::new();
    async_kit::time::timeout(Duration::from_secs(1), async {
        group
            .spawn_detached(async move {
                if !multi {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
                Ok(async_kit::deadline())
            })
            .await
            .unwrap();
    })
    .await
    .unwrap();
    assert_eq!(group.join().await.unwrap(), [None]);
}

async fn a_scope_returns_only_after_its_children(multi: bool) {
    let finished = counter();
    let seen = finished.clone();
    let ((), outputs) = scope(|group: GroupHandle<u8, ()>| async move {
        for i in 0..4 {
            let finished = seen.clone();
            group
                .spawn(async move {
                    if multi {
                        for _ in 0..10 {
                            tokio::task::yield_now().await;
                        }
                    } else {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    finished.fetch_add(1, Ordering::SeqCst);
                    Ok(i)
                })
                .await
                .unwrap();
        }
        // The body is done long before its children.
    })
    .await
    .unwrap();
    assert_eq!(finished.load(Ordering::SeqCst), 4);
    assert_eq!(outputs, [0, 1, 2, 3]);
}

async fn a_failing_child_drops_the_scope_body(_multi: bool) {
    let dropped = counter();
    let guard = Guard(dropped.clone());
    let err = scope(|group: GroupHandle<(), &str>| async move {
        let _guard = guard;
        group.spawn(async { Err("child failed") }).await.unwrap();
        pending::<()>().await;
    })
    .await
    .unwrap_err();
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_eq!(err.failures()[0].index, 0);
}

async fn a_panic_in_a_child_is_reported_not_raised(_multi: bool) {
    let group = TaskGroup::<(), ()>::new();
    group.spawn(async { panic!("boom") }).await.unwrap();
    let err = group.join().await.unwrap_err();
    let ChildError::Panicked(payload) = &err.failures()[0].error else {
        panic!("the panic is reported")
    };
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    // The runtime and other groups go on.
    let other = TaskGroup::<u8, ()>::new();
    other.spawn(async { Ok(1) }).await.unwrap();
    assert_eq!(other.join().await.unwrap(), [1]);
}

async fn dropping_a_group_mid_run_leaks_nothing(_multi: bool) {
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let dropped = counter();
    let group = TaskGroup::<(), ()>::new();
    for _ in 0..100 {
        let guard = Guard(dropped.clone());
        group
            .spawn(async move {
                let _guard = guard;
                pending().await
            })
            .await
            .unwrap();
    }
    eventually("children started", || group.figures().running == 100).await;
    assert!(metrics.num_alive_tasks() > before);
    drop(group);
    eventually("every child dropped", || {
        dropped.load(Ordering::SeqCst) == 100
    })
    .await;
    eventually("every worker gone", || metrics.num_alive_tasks() == before).await;
}

async fn dropping_a_scope_future_cancels_its_children(_multi: bool) {
    let dropped = counter();
    let (spawned_tx, spawned_rx) = oneshot::channel();
    let guards = dropped.clone();
    let scoped = scope(|group: GroupHandle<(), ()>| async move {
        for _ in 0..10 {
            let guard = Guard(guards.clone());
            group
                .spawn(async move {
                    let _guard = guard;
                    pending().await
                })
                .await
                .unwrap();
        }
        let _ = spawned_tx.send(());
        pending::<()>().await;
    });
    tokio::select! {
        _ = scoped => unreachable!("the scope never ends by itself"),
        _ = spawned_rx => {}
    }
    // The scope future is dropped: every child is dropped without anyone
    // awaiting the group.
    eventually("every child dropped", || {
        dropped.load(Ordering::SeqCst) == 10
    })
    .await;
}

async fn children_spawn_siblings_through_a_handle(_multi: bool) {
    let group = TaskGroup::<u32, ()>::new();
    let handle = group.handle();
    group
        .spawn(async move {
            for i in 1..=3 {
                let handle2 = handle.clone();
                handle
                    .spawn(async move {
                        handle2.spawn(async move { Ok(i * 100) }).await.unwrap();
                        Ok(i)
                    })
                    .await
                    .unwrap();
            }
            Ok(0)
        })
        .await
        .unwrap();
    let mut outputs = group.join().await.unwrap();
    assert_eq!(outputs.len(), 7);
    assert_eq!(outputs[0], 0);
    outputs.sort_unstable();
    assert_eq!(outputs, [0, 1, 2, 3, 100, 200, 300]);
}

async fn shutdown_lets_cooperative_children_finish(multi: bool) {
    let group = TaskGroup::<&str, &str>::new();
    let token = group.token();
    group
        .spawn(async move {
            token.cancelled().await;
            Ok("cleaned up")
        })
        .await
        .unwrap();
    let token = group.token();
    group
        .spawn(async move {
            token.cancelled().await;
            // Failing during the grace does not abort the others.
            Err("gave up")
        })
        .await
        .unwrap();
    // Panics during the grace too. (Panicking at once would race the
    // shutdown on the multi-thread runtime: a fail-fast group would abort
    // the two above before the shutdown began.)
    let token = group.token();
    group
        .spawn(async move {
            token.cancelled().await;
            panic!("boom")
        })
        .await
        .unwrap();
    if !multi {
        // Ignores the cancel: aborted when the grace runs out.
        group.spawn(pending()).await.unwrap();
    }
    let start = Instant::now();
    let report = group.shutdown(Duration::from_secs(10)).await;
    assert_eq!(report.finished(), [0, 1]);
    assert_eq!(report.panicked(), [2]);
    if multi {
        assert!(report.aborted().is_empty());
    } else {
        assert_eq!(report.aborted(), [3]);
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }
    assert_eq!(report.outcomes()[0].as_ref().ok(), Some(&"cleaned up"));
}

#[test]
fn public_types_are_send_sync_and_unpin() {
    fn send_sync<T: Send + Sync>() {}
    fn unpin<T: Unpin>() {}
    send_sync::<TaskGroup<u8, String>>();
    send_sync::<GroupHandle<u8, String>>();
    fn send<T: Send>() {}
    // Panic payloads are `Send` only, as in `TaskError`.
    send::<async_kit::task::GroupError<String>>();
    send_sync::<async_kit::task::GroupFigures>();
    unpin::<TaskGroup<u8, String>>();
    unpin::<GroupHandle<u8, String>>();
    fn send_future<F: std::future::Future + Send>(_: F) {}
    let group = TaskGroup::<u8, String>::new();
    send_future(group.spawn(async { Ok(1) }));
    send_future(group.join());
    send_future(scope(|_: GroupHandle<u8, String>| async {}));
    send_future(supervisor_scope(|_: GroupHandle<u8, String>| async {}));
}

async fn done_callbacks_see_every_outcome_before_join_returns(_multi: bool) {
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let group = TaskGroup::<u8, &str>::new();
    let (started_tx, started_rx) = oneshot::channel();
    let waiting = group
        .spawn(async move {
            let _ = started_tx.send(());
            pending().await
        })
        .await
        .unwrap();
    started_rx.await.unwrap();
    let ok = group.spawn(async { Ok(1) }).await.unwrap();
    let failing = group
        .spawn(async {
            tokio::task::yield_now().await;
            Err("no")
        })
        .await
        .unwrap();
    for index in [waiting, ok, failing] {
        let log = log.clone();
        let id = group.add_done_callback(index, move |outcome| {
            let what = match outcome {
                Outcome::Completed(Some(Ok(n))) => format!("{index}: ok {n}"),
                Outcome::Completed(Some(Err(e))) => format!("{index}: {e:?}"),
                Outcome::Completed(None) => format!("{index}: taken"),
                Outcome::Panicked => format!("{index}: panicked"),
                Outcome::Cancelled => format!("{index}: dropped"),
            };
            log.lock().unwrap().push(what);
        });
        assert!(id.is_some());
    }
    assert!(group.add_done_callback(3, |_| {}).is_none());
    let err = group.join().await.unwrap_err();
    assert_eq!(err.cancelled(), [0]);
    let mut log = log.lock().unwrap().clone();
    log.sort();
    assert_eq!(log, ["0: Cancelled", "1: ok 1", "2: Failed(\"no\")"]);
}
