/// A snapshot of a [`TaskPool`](crate::task::TaskPool)'s live figures,
/// from [`TaskPool::figures`](crate::task::TaskPool::figures).
///
/// Counts are read one by one while tasks run, so they are each exact but
/// not taken at one instant. A task is counted once, when it finishes, as
/// completed, panicked or aborted (aborted through its handle or stopped by
/// the pool's shutdown, queued or running). A task's handle may resolve a
/// moment before the task is counted; after [`TaskPool::join`] every
/// finished task is.
///
/// [`TaskPool::join`]: crate::task::TaskPool::join
///
/// # Examples
///
/// ```
/// use async_kit::task::TaskPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = TaskPool::new(2);
/// drop(pool.spawn(async { 1 }).await.unwrap());
/// drop(pool.spawn(async { panic!("boom") }).await.unwrap());
/// pool.join().await;
/// let figures = pool.figures();
/// assert_eq!((figures.completed, figures.panicked), (1, 1));
/// assert_eq!((figures.running, figures.queued), (0, 0));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Figures {
    /// Tasks started and not finished (running or waiting inside).
    pub running: usize,
    /// Tasks accepted but not started.
    pub queued: usize,
    /// Tasks that returned their output.
    pub completed: u64,
    /// Tasks that panicked.
    pub panicked: u64,
    /// Tasks aborted through their handle or stopped by the shutdown.
    pub aborted: u64,
    /// Tasks stopped at the deadline they inherited from their spawner
    /// (see [`TaskPool::spawn`](crate::task::TaskPool::spawn)).
    pub elapsed: u64,
    /// The highest `running` ever seen.
    pub peak_running: usize,
    /// Worker tasks alive now (never more than the limit, except for
    /// workers that finish their current task after a shrink).
    pub workers: usize,
}

/// What [`TaskPool::shutdown`](crate::task::TaskPool::shutdown) returns:
/// how the pool's tasks ended, counted since the pool was created.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::task::TaskPool;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let pool = TaskPool::new(2);
/// drop(pool.spawn(async { 1 }).await.unwrap());
/// drop(pool.spawn(std::future::pending::<()>()).await.unwrap());
/// let report = pool.shutdown(Duration::from_secs(1)).await;
/// assert_eq!((report.completed, report.aborted, report.panicked), (1, 1, 0));
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Tasks that returned their output.
    pub completed: u64,
    /// Tasks aborted through their handle or stopped by the shutdown.
    pub aborted: u64,
    /// Tasks that panicked.
    pub panicked: u64,
    /// Tasks stopped at the deadline they inherited from their spawner.
    pub elapsed: u64,
}
