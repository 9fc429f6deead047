use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use super::error::{ChildError, GroupError};
use super::node;
use super::task_group::{GroupHandle, TaskGroup, fail_fast};

/// Runs `body` with a fail-fast [`TaskGroup`] and returns only once every
/// child has ended (Trio's nursery rule): the body's output and the
/// children's outputs in spawning order, or every failure.
///
/// `body` gets a [`GroupHandle`] to spawn children. If a child fails, its
/// siblings are aborted **and so is the body** (it is dropped at its next
/// `.await`), as asyncio's `async with TaskGroup()` cancels the code in its
/// block. Groups made while the body runs are nested under this one:
/// cancelling this group's token cancels theirs.
///
/// # Cancel safety
///
/// Dropping the returned future drops the body and the group, which
/// cancels the token and aborts every child. What is promised when the
/// drop returns: children that never started have been dropped (their
/// drop guards have run); every other child is told to stop and will not
/// be polled again, except for a poll already under way on another thread;
/// the runtime drops each of them at its next chance, without the caller
/// awaiting anything. tokio cannot drop a task's future from another
/// thread while that task is scheduled, so "every drop guard has run when
/// the drop returns" cannot be promised for started children.
///
/// # Examples
///
/// ```
/// use async_kit::task::scope;
///
/// # #[tokio::main]
/// # async fn main() {
/// let (body, children) = scope(|group| async move {
///     for i in 1..=3_u32 {
///         group.spawn(async move { Ok::<_, ()>(i * 10) }).await.unwrap();
///     }
///     "spawned"
/// })
/// .await
/// .unwrap();
/// assert_eq!(body, "spawned");
/// assert_eq!(children, [10, 20, 30]);
/// # }
/// ```
pub async fn scope<T, E, F, Fut>(body: F) -> Result<(Fut::Output, Vec<T>), GroupError<E>>
where
    T: Send + 'static,
    E: Send + 'static,
    F: FnOnce(GroupHandle<T, E>) -> Fut,
    Fut: Future,
{
    let group = TaskGroup::new();
    let output = run_body(&group, body(group.handle()), true).await;
    let outcomes = group.collect().await;
    match output {
        Some(output) => fail_fast(outcomes).map(|outputs| (output, outputs)),
        None => match fail_fast(outcomes) {
            Err(err) => Err(err),
            Ok(_) => unreachable!("the body is dropped only after a child failed"),
        },
    }
}

/// Runs `body` with a supervisor [`TaskGroup`] and returns only once every
/// child has ended: the body's output and each child's outcome in spawning
/// order (Kotlin's `supervisorScope`). A failing child affects no other,
/// nor the body.
///
/// # Cancel safety
///
/// As for [`scope`]: dropping the returned future aborts every child.
///
/// # Examples
///
/// ```
/// use async_kit::task::supervisor_scope;
///
/// # #[tokio::main]
/// # async fn main() {
/// let ((), outcomes) = supervisor_scope(|group| async move {
///     group.spawn(async { Err::<u8, _>("down") }).await.unwrap();
///     group.spawn(async { Ok(1) }).await.unwrap();
/// })
/// .await;
/// assert!(outcomes[0].is_err());
/// assert_eq!(outcomes[1].as_ref().ok(), Some(&1));
/// # }
/// ```
pub async fn supervisor_scope<T, E, F, Fut>(body: F) -> (Fut::Output, Vec<Result<T, ChildError<E>>>)
where
    T: Send + 'static,
    E: Send + 'static,
    F: FnOnce(GroupHandle<T, E>) -> Fut,
    Fut: Future,
{
    let group = TaskGroup::supervisor();
    let output = run_body(&group, body(group.handle()), false).await;
    let outcomes = group.collect().await;
    let output = output.expect("a supervisor's body is never dropped");
    (
        output,
        outcomes.into_iter().map(|(outcome, _)| outcome).collect(),
    )
}

/// Polls `body` as the group's own code (groups made in it nest under this
/// one); with `fail_fast`, drops it and returns `None` once a child failed.
async fn run_body<T, E, Fut: Future>(
    group: &TaskGroup<T, E>,
    body: Fut,
    fail_fast: bool,
) -> Option<Fut::Output>
where
    T: Send + 'static,
    E: Send + 'static,
{
    let node = group.node().clone();
    let abort = node.abort_token();
    let mut aborted = pin!(abort.cancelled());
    let mut body = pin!(body);
    // Watching stops after an abort without a failure (`abort()` called by
    // the body itself): only failures stop the body.
    let mut watching = fail_fast;
    std::future::poll_fn(|cx| {
        let previous = node::enter(Some(node.clone()));
        let polled = body.as_mut().poll(cx);
        node::enter(previous);
        if let Poll::Ready(output) = polled {
            return Poll::Ready(Some(output));
        }
        if watching && aborted.as_mut().poll(cx).is_ready() {
            if node.has_failed() {
                return Poll::Ready(None);
            }
            watching = false;
        }
        Poll::Pending
    })
    .await
}
