//! Deadlines across `TaskPool::spawn`: a task inherits the deadline in
//! force where it is spawned, is stopped at it, and can opt out. Every
//! behaviour runs on both runtimes: on the current-thread runtime with the
//! paused clock, on the multi-thread runtime with a zero budget (the
//! deadline has passed by the time the task first waits).

use std::future::pending;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::task::{Outcome, TaskError, TaskGroup, TaskPool};
use tokio::time::Instant;

#[macro_use]
mod both_runtimes;

both_runtimes!(
    a_task_sees_the_spawners_deadline_and_is_stopped_at_it,
    try_spawn_and_spawn_timeout_inherit_too,
    spawn_detached_ignores_the_deadline,
    a_pool_built_without_inheritance_ignores_the_deadline,
    a_task_spawned_by_a_group_child_inherits_the_childs_deadline,
    with_no_deadline_nothing_changes,
    done_callbacks_see_a_stopped_task_as_cancelled,
);

/// Counts its drops.
struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The budget of the spawning code: five seconds of paused time, or none
/// on the multi-thread runtime.
fn budget(multi: bool) -> Duration {
    if multi {
        Duration::ZERO
    } else {
        Duration::from_secs(5)
    }
}

/// A task that sleeps an hour holding a drop guard.
async fn sleeper(dropped: Arc<AtomicUsize>) -> &'static str {
    let _guard = Guard(dropped);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    "woke up"
}

async fn a_task_sees_the_spawners_deadline_and_is_stopped_at_it(multi: bool) {
    let pool = TaskPool::new(4);
    let dropped = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let (seen, stopped, expected) = async_kit::time::timeout(budget(multi), async {
        let seen = pool.spawn(async { async_kit::deadline() }).await.unwrap();
        let stopped = pool.spawn(sleeper(dropped.clone())).await.unwrap();
        (seen, stopped, async_kit::deadline())
    })
    .await
    .unwrap();
    assert!(expected.is_some());
    assert_eq!(seen.await.unwrap(), expected);
    let err = stopped.await.unwrap_err();
    let TaskError::Elapsed(elapsed) = err else {
        panic!("the sleeping task is stopped at the deadline: {err:?}");
    };
    assert!(elapsed.is_inherited());
    assert!(elapsed.to_string().contains("caller"), "{elapsed}");
    // The task's future (and its guard) went before its handle heard.
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    if !multi {
        assert_eq!(start.elapsed(), budget(multi));
    }
    // The figures count an ending after the handle hears of it.
    pool.join().await;
    let figures = pool.figures();
    assert_eq!(
        (figures.completed, figures.elapsed, figures.aborted),
        (1, 1, 0)
    );
    let report = pool.shutdown(Duration::ZERO).await;
    assert_eq!((report.completed, report.elapsed), (1, 1));
}

async fn try_spawn_and_spawn_timeout_inherit_too(multi: bool) {
    let pool = TaskPool::new(4);
    let dropped = Arc::new(AtomicUsize::new(0));
    let (tried, timed) = async_kit::time::timeout(budget(multi), async {
        let tried = pool.try_spawn(sleeper(dropped.clone())).unwrap();
        let timed = pool
            .spawn_timeout(Duration::from_secs(1), sleeper(dropped.clone()))
            .await
            .unwrap();
        (tried, timed)
    })
    .await
    .unwrap();
    assert!(tried.await.unwrap_err().is_elapsed());
    assert!(timed.await.unwrap_err().is_elapsed());
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
    pool.join().await;
    assert_eq!(pool.figures().elapsed, 2);
}

#[allow(
    clippy::async_yields_async,
    reason = "spawned under the deadline, the handle is awaited after it"
)]
async fn spawn_detached_ignores_the_deadline(multi: bool) {
    let pool = TaskPool::new(4);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = async_kit::time::timeout(budget(multi), async {
        pool.spawn_detached(async move {
            assert_eq!(async_kit::deadline(), None);
            rx.await.unwrap();
            "finished"
        })
        .await
        .unwrap()
    })
    .await
    .unwrap();
    if !multi {
        // Well past the spawner's deadline.
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    tx.send(()).unwrap();
    assert_eq!(handle.await.unwrap(), "finished");
    pool.join().await;
    assert_eq!(pool.figures().elapsed, 0);
}

async fn a_pool_built_without_inheritance_ignores_the_deadline(multi: bool) {
    let pool = TaskPool::builder().limit(2).inherit_deadline(false).build();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (spawned, tried) = async_kit::time::timeout(budget(multi), async {
        let spawned = pool
            .spawn(async move {
                rx.await.unwrap();
                async_kit::deadline()
            })
            .await
            .unwrap();
        let tried = pool.try_spawn(async { async_kit::deadline() }).unwrap();
        (spawned, tried)
    })
    .await
    .unwrap();
    if !multi {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    tx.send(()).unwrap();
    assert_eq!(spawned.await.unwrap(), None);
    assert_eq!(tried.await.unwrap(), None);
}

async fn a_task_spawned_by_a_group_child_inherits_the_childs_deadline(multi: bool) {
    // Two boundaries: request -> group child -> pool task.
    let pool = TaskPool::new(2);
    let dropped = Arc::new(AtomicUsize::new(0));
    let group = TaskGroup::<_, ()>::supervisor();
    let expected = async_kit::time::timeout(budget(multi), async {
        let (pool, dropped) = (pool.clone(), dropped.clone());
        group
            .spawn(async move {
                let seen = pool.spawn(async { async_kit::deadline() }).await.unwrap();
                let stopped = pool.spawn(sleeper(dropped)).await.unwrap();
                Ok((seen, stopped))
            })
            .await
            .unwrap();
        async_kit::deadline()
    })
    .await
    .unwrap();
    let mut outputs = group.join().await.unwrap();
    let (seen, stopped) = outputs.pop().unwrap();
    assert_eq!(seen.await.unwrap(), expected);
    assert!(stopped.await.unwrap_err().is_elapsed());
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

async fn with_no_deadline_nothing_changes(multi: bool) {
    let pool = TaskPool::new(2);
    let handle = pool
        .spawn(async move {
            assert_eq!(async_kit::deadline(), None);
            if !multi {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            7
        })
        .await
        .unwrap();
    assert_eq!(handle.await.unwrap(), 7);
    pool.join().await;
    let figures = pool.figures();
    assert_eq!((figures.completed, figures.elapsed), (1, 0));
}

#[allow(
    clippy::async_yields_async,
    reason = "spawned under the deadline, the handle is awaited after it"
)]
async fn done_callbacks_see_a_stopped_task_as_cancelled(multi: bool) {
    let pool = TaskPool::new(1);
    let seen = Arc::new(AtomicUsize::new(0));
    let handle = async_kit::time::timeout(budget(multi), async {
        pool.spawn(pending::<()>()).await.unwrap()
    })
    .await
    .unwrap();
    let count = seen.clone();
    handle.add_done_callback(move |outcome: Outcome<'_, ()>| {
        if matches!(outcome, Outcome::Cancelled) {
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    assert!(handle.await.unwrap_err().is_elapsed());
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}
