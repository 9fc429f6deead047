use std::future::Future;
use std::panic::resume_unwind;

use tokio::task::{JoinError, JoinSet};

/// Runs each future as its own task and returns their outputs in input
/// order: asyncio's `gather`.
///
/// The futures run concurrently, in parallel on a multi-thread runtime.
/// Dropping the returned future aborts every task not yet finished.
///
/// # Comparison to `join_all` and `JoinSet::join_all`
///
/// Built on [`JoinSet`]. [`JoinSet::join_all`] returns outputs in
/// completion order; `futures`' `join_all` keeps input order but polls
/// every future inside the caller's task, so they never run in parallel.
/// `gather` spawns and keeps input order. To gather handles of tasks that
/// are already running, use `futures`' `join_all` on the handles.
///
/// # Panics
///
/// Panics when called outside a tokio runtime. If a task panics, the other
/// tasks are aborted and dropped, then the panic is resumed in the caller.
/// If a task is cancelled by the runtime shutting down, this panics with
/// the [`JoinError`].
///
/// # Cancel safety
///
/// This method is not cancel safe: if it is used in `tokio::select!` and
/// another branch completes first, every task is aborted and the outputs
/// are lost.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tokio::time::sleep;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let outputs = async_kit::task::gather([3, 1, 2].map(|s| async move {
///     sleep(Duration::from_secs(s)).await;
///     s * 10
/// }))
/// .await;
/// assert_eq!(outputs, [30, 10, 20]);
/// # }
/// ```
pub async fn gather<I, F>(futures: I) -> Vec<F::Output>
where
    I: IntoIterator<Item = F>,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut set = spawn_all(futures);
    let mut slots = empty_slots(set.len());
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((index, output)) => slots[index] = Some(output),
            Err(err) => fail(&mut set, err).await,
        }
    }
    unwrap_all(slots)
}

/// Runs each future as its own task and returns their `Ok` outputs in input
/// order, or the first `Err` after aborting the rest: a fail-fast
/// [`gather`].
///
/// On the first error, every other task is aborted and this waits until
/// they have been dropped, so their cleanup has run when it returns.
///
/// # Comparison to `try_join_all`
///
/// `futures`' `try_join_all` also keeps input order and drops the rest on
/// the first error, but polls every future inside the caller's task;
/// `try_gather` runs each as a task.
///
/// # Panics
///
/// As for [`gather`].
///
/// # Cancel safety
///
/// This method is not cancel safe: if it is used in `tokio::select!` and
/// another branch completes first, every task is aborted and the outputs
/// are lost.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tokio::time::sleep;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let fetch = |s: u64| async move {
///     sleep(Duration::from_secs(s)).await;
///     if s == 2 { Err(format!("{s} failed")) } else { Ok(s) }
/// };
/// assert_eq!(async_kit::task::try_gather([3, 1].map(fetch)).await, Ok(vec![3, 1]));
///
/// let start = tokio::time::Instant::now();
/// let err = async_kit::task::try_gather([60, 2, 1].map(fetch)).await.unwrap_err();
/// assert_eq!(err, "2 failed");
/// assert_eq!(start.elapsed(), Duration::from_secs(2), "the 60 s task was aborted");
/// # }
/// ```
pub async fn try_gather<I, F, T, E>(futures: I) -> Result<Vec<T>, E>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let mut set = spawn_all(futures);
    let mut slots = empty_slots(set.len());
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((index, Ok(output))) => slots[index] = Some(output),
            Ok((_, Err(err))) => {
                set.shutdown().await;
                return Err(err);
            }
            Err(err) => fail(&mut set, err).await,
        }
    }
    Ok(unwrap_all(slots))
}

#[track_caller]
fn spawn_all<I, F>(futures: I) -> JoinSet<(usize, F::Output)>
where
    I: IntoIterator<Item = F>,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut set = JoinSet::new();
    for (index, future) in futures.into_iter().enumerate() {
        set.spawn(async move { (index, future.await) });
    }
    set
}

fn empty_slots<T>(len: usize) -> Vec<Option<T>> {
    std::iter::repeat_with(|| None).take(len).collect()
}

/// A task panicked or was cancelled: drop the others, then re-panic.
async fn fail<T: 'static>(set: &mut JoinSet<T>, err: JoinError) -> ! {
    set.shutdown().await;
    match err.try_into_panic() {
        Ok(payload) => resume_unwind(payload),
        Err(err) => panic!("{err}"),
    }
}

fn unwrap_all<T>(slots: Vec<Option<T>>) -> Vec<T> {
    slots
        .into_iter()
        .map(|slot| slot.expect("every task reported its output"))
        .collect()
}
