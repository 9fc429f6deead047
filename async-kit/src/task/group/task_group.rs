use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::child::{Child, Ended};
use super::error::{ChildError, Failure, GroupError};
use super::node::Node;
use super::report::{GroupFigures, GroupReport};
use crate::task::{
    CallbackId, Outcome, SpawnError, TaskError, TaskHandle, TaskPool, TrySpawnError,
};

/// A group of child tasks that ends together: asyncio's `TaskGroup`, Trio's
/// nursery, Go's `errgroup`.
///
/// [`spawn`](Self::spawn) starts children; [`join`](Self::join) waits for
/// every one and returns their outputs in spawning order. Children return
/// `Result<T, E>`:
///
/// - **Fail fast** ([`TaskGroup::new`]): the first child that fails
///   (returns `Err` or panics) aborts its siblings, and `join` returns a
///   [`GroupError`] with **every** failure in the order they happened,
///   panic payloads included, and the children that were cancelled
///   because of it. A child stopped at its inherited deadline is reported
///   among the failures but aborts no sibling: those spawned under the
///   same deadline stop at it by themselves, and detached ones go on.
/// - **Supervisor** ([`TaskGroup::supervisor`]): children fail
///   independently; [`join_outcomes`](Self::join_outcomes) returns each
///   child's outcome.
///
/// **Limit.** [`with_limit`](Self::with_limit) bounds how many children run
/// at once: `spawn` then waits for a free slot, and
/// [`try_spawn`](Self::try_spawn) hands the future back when there is
/// none (errgroup's `SetLimit` / `TryGo`).
///
/// **Cancellation tree.** Each group owns a [`CancellationToken`] (see
/// [`token`](Self::token)), a child token of the group whose child made
/// it: cancelling a group cancels every group below it, never the one
/// above. The token is the cooperative signal: children can select on
/// `token.cancelled()` to clean up and return. [`cancel`](Self::cancel)
/// fires it; [`abort`](Self::abort) fires it and drops every child at its
/// next `.await`; [`shutdown`](Self::shutdown) fires it, waits a grace
/// period, then aborts the rest and reports.
///
/// **Deadlines cross spawn.** A child spawned while a deadline is in force
/// (inside a [`#[timeout]`](crate::timeout) fn or a
/// [`time::timeout`](crate::time::timeout)) inherits it: it sees it
/// through [`deadline`](crate::deadline), is dropped when it passes, and
/// ends with [`ChildError::Elapsed`] whose
/// [`is_inherited`](crate::Elapsed::is_inherited) is `true`.
/// [`spawn_detached`](Self::spawn_detached) opts a child out.
///
/// Children run on the runtime the group is used from, on long-lived
/// workers of a private [`TaskPool`] (no `tokio::spawn` per child). A
/// panic is caught and reported, never re-raised in a worker. Dropping
/// the group aborts every child, as dropping a `JoinSet` does: children
/// that never started are dropped at once, the others at their next
/// `.await`, on the runtime.
///
/// # Comparison
///
/// - **`TaskGroup`** — children that belong together: outputs in spawning
///   order, fail fast or supervise, every error kept, a cancellation tree
///   across nested groups, deadlines inherited across spawn, an optional
///   limit. One group per piece of work.
/// - **[`TaskPool`]** — a long-lived, shared bound on concurrency: each
///   task has its own [`TaskHandle`], failures are independent, nothing is
///   collected in one place, and it has a queue. Its tasks inherit the
///   spawner's deadline as a group's children do. A group runs on one.
/// - **tokio's [`JoinSet`](tokio::task::JoinSet)** — outputs in completion
///   order, `join_all` re-raises panics, no limit (add a `Semaphore`), no
///   fail-fast or error aggregation, no cancellation tree (add a
///   `CancellationToken`), deadlines do not cross `spawn`. Use it for
///   `!Send` tasks (`spawn_local`).
/// - **tokio-util's [`TaskTracker`](https://docs.rs/tokio-util/latest/tokio_util/task/task_tracker/struct.TaskTracker.html)**
///   — waits until tracked tasks have ended, and collects nothing: no
///   outputs, errors, cancellation, limit or deadline.
///
/// # Examples
///
/// ```
/// use async_kit::task::TaskGroup;
///
/// # #[tokio::main]
/// # async fn main() {
/// let group = TaskGroup::new();
/// for i in 0..5_u64 {
///     group.spawn(async move { Ok::<_, String>(i * i) }).await.unwrap();
/// }
/// assert_eq!(group.join().await.unwrap(), [0, 1, 4, 9, 16]);
/// # }
/// ```
pub struct TaskGroup<T, E> {
    inner: Arc<Inner<T, E>>,
}

/// A cheap handle to spawn into a [`TaskGroup`] and cancel it, from its
/// children or anywhere else.
///
/// It does not keep the group alive: once the group has been joined, shut
/// down or dropped, spawning through it fails and hands the future back.
/// [`scope`](crate::task::scope) passes one to its body.
///
/// # Examples
///
/// ```
/// use async_kit::task::TaskGroup;
///
/// # #[tokio::main]
/// # async fn main() {
/// let group = TaskGroup::new();
/// let handle = group.handle();
/// group.spawn(async move {
///     // A child spawns a sibling.
///     handle.spawn(async { Ok::<_, ()>(2) }).await.unwrap();
///     Ok(1)
/// }).await.unwrap();
/// assert_eq!(group.join().await.unwrap(), [1, 2]);
/// # }
/// ```
pub struct GroupHandle<T, E> {
    inner: Weak<Inner<T, E>>,
    node: Arc<Node>,
}

struct Inner<T, E> {
    node: Arc<Node>,
    pool: TaskPool,
    // Set once `join` (or `shutdown`) has seen every child end.
    closed: AtomicBool,
    children: Mutex<Children<T, E>>,
}

struct Children<T, E> {
    // Handles not yet taken by `join`, in spawning order.
    handles: Vec<TaskHandle<Ended<T, E>>>,
    spawned: usize,
}

impl<T, E> Inner<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    fn lock(&self) -> MutexGuard<'_, Children<T, E>> {
        // Nothing panics while holding it; a poisoned lock is still sound.
        self.children.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn child<F>(&self, future: F, inherit: bool) -> Child<F> {
        let deadline = if inherit { crate::deadline() } else { None };
        Child::new(future, deadline, self.node.clone())
    }

    async fn spawn<F>(&self, future: F, inherit: bool) -> Result<usize, SpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        if self.closed.load(Ordering::Acquire) {
            return Err(SpawnError(future));
        }
        let child = self.child(future, inherit);
        match self.pool.spawn(child).await {
            Ok(handle) => Ok(self.register(handle)),
            Err(SpawnError(child)) => Err(SpawnError(child.into_future())),
        }
    }

    fn try_spawn<F>(&self, future: F, inherit: bool) -> Result<usize, TrySpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        if self.closed.load(Ordering::Acquire) {
            return Err(TrySpawnError::Closed(future));
        }
        let child = self.child(future, inherit);
        match self.pool.try_spawn(child) {
            Ok(handle) => Ok(self.register(handle)),
            Err(TrySpawnError::Full(child)) => Err(TrySpawnError::Full(child.into_future())),
            Err(TrySpawnError::Closed(child)) => Err(TrySpawnError::Closed(child.into_future())),
        }
    }

    fn register(&self, handle: TaskHandle<Ended<T, E>>) -> usize {
        let mut children = self.lock();
        let index = children.spawned;
        children.spawned += 1;
        if self.closed.load(Ordering::Acquire) {
            // `join` ended while this spawn waited for its slot: the child
            // belongs to no one, so it is stopped.
            handle.abort();
        } else {
            children.handles.push(handle);
        }
        index
    }

    fn figures(&self) -> GroupFigures {
        let pool = self.pool.figures();
        let node = &self.node;
        let failed = node.failed.load(Ordering::Relaxed);
        let panicked = node.panicked.load(Ordering::Relaxed);
        let cancelled = node.cancelled.load(Ordering::Relaxed);
        // The child future always returns, so the pool counts every child
        // that ended by itself as completed and those it dropped (when the
        // group is dropped) as aborted.
        GroupFigures {
            running: pool.running,
            queued: pool.queued,
            completed: pool.completed.saturating_sub(failed + panicked + cancelled),
            failed,
            panicked,
            cancelled: cancelled + pool.aborted,
            peak_running: pool.peak_running,
        }
    }
}

/// Collects outcomes in spawning order; cancel safe, so a shutdown can
/// stop waiting at its grace and go on later.
struct Collect<T, E> {
    outcomes: Vec<Settled<T, E>>,
    batch: std::vec::IntoIter<TaskHandle<Ended<T, E>>>,
    current: Option<TaskHandle<Ended<T, E>>>,
}

impl<T, E> Collect<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    fn new() -> Self {
        Collect {
            outcomes: Vec::new(),
            batch: Vec::new().into_iter(),
            current: None,
        }
    }

    async fn run(&mut self, inner: &Inner<T, E>) {
        loop {
            if let Some(handle) = self.current.as_mut() {
                let ended = handle.await;
                self.current = None;
                self.outcomes.push(settle(ended));
            } else if let Some(handle) = self.batch.next() {
                self.current = Some(handle);
            } else {
                let mut children = inner.lock();
                if children.handles.is_empty() {
                    // Every child has ended, so none can spawn another.
                    inner.closed.store(true, Ordering::Release);
                    return;
                }
                self.batch = std::mem::take(&mut children.handles).into_iter();
            }
        }
    }
}

/// A child's outcome and, for a failure, its place in the order of
/// failures.
pub(super) type Settled<T, E> = Ended<T, E>;

fn settle<T, E>(ended: Result<Ended<T, E>, TaskError>) -> Settled<T, E> {
    match ended {
        Ok(ended) => ended,
        // The child catches its own panics; the pool can only drop it.
        Err(TaskError::Panicked(payload)) => (Err(ChildError::Panicked(payload)), None),
        Err(TaskError::Aborted | TaskError::Shutdown) => (Err(ChildError::Cancelled), None),
        // The group's pool does not inherit deadlines (each child carries
        // its own, above); kept for completeness.
        Err(TaskError::Elapsed(elapsed)) => (Err(ChildError::Elapsed(elapsed)), None),
    }
}

/// Splits outcomes into the outputs, or every failure in the order they
/// happened and the cancelled children.
pub(super) fn fail_fast<T, E>(outcomes: Vec<Settled<T, E>>) -> Result<Vec<T>, GroupError<E>> {
    let mut outputs = Vec::with_capacity(outcomes.len());
    let mut failures = Vec::new();
    let mut cancelled = Vec::new();
    for (index, (outcome, seq)) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(output) => outputs.push(output),
            Err(ChildError::Cancelled) => cancelled.push(index),
            Err(error) => failures.push((seq.unwrap_or(u64::MAX), Failure { index, error })),
        }
    }
    if failures.is_empty() && cancelled.is_empty() {
        return Ok(outputs);
    }
    failures.sort_by_key(|(seq, _)| *seq);
    Err(GroupError::new(
        failures.into_iter().map(|(_, failure)| failure).collect(),
        cancelled,
    ))
}

impl<T, E> TaskGroup<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    /// Creates a fail-fast group with no limit.
    ///
    /// Made inside a child of another group (or a [`scope`]'s body), its
    /// token is a child of that group's.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = async_kit::task::TaskGroup::<(), ()>::new();
    /// assert!(!group.is_supervisor());
    /// assert_eq!(group.join().await.unwrap(), []);
    /// # }
    /// ```
    ///
    /// [`scope`]: crate::task::scope
    #[must_use]
    pub fn new() -> Self {
        Self::with_mode(false)
    }

    /// Creates a supervisor group with no limit: a failing child affects
    /// no other (Kotlin's `supervisorScope`).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = async_kit::task::TaskGroup::supervisor();
    /// group.spawn(async { Err("lost") }).await.unwrap();
    /// group.spawn(async { Ok(2) }).await.unwrap();
    /// let outcomes = group.join_outcomes().await;
    /// assert!(outcomes[0].is_err());
    /// assert_eq!(outcomes[1].as_ref().ok(), Some(&2));
    /// # }
    /// ```
    #[must_use]
    pub fn supervisor() -> Self {
        Self::with_mode(true)
    }

    fn with_mode(supervisor: bool) -> Self {
        TaskGroup {
            inner: Arc::new(Inner {
                node: Arc::new(Node::new(supervisor)),
                pool: TaskPool::elastic(Semaphore::MAX_PERMITS),
                closed: AtomicBool::new(false),
                children: Mutex::new(Children {
                    handles: Vec::new(),
                    spawned: 0,
                }),
            }),
        }
    }

    /// Bounds how many children run at once: [`spawn`](Self::spawn) waits
    /// for a free slot, [`try_spawn`](Self::try_spawn) refuses.
    ///
    /// # Panics
    ///
    /// Panics if `limit` exceeds tokio's `Semaphore::MAX_PERMITS`.
    ///
    /// # Examples
    ///
    /// ```
    /// let group = async_kit::task::TaskGroup::<(), ()>::new().with_limit(8);
    /// assert_eq!(group.limit(), 8);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn with_limit(self, limit: usize) -> Self {
        self.inner.pool.set_limit(limit);
        self
    }

    /// Returns how many children may run at once
    /// (`Semaphore::MAX_PERMITS` when unlimited).
    ///
    /// # Examples
    ///
    /// ```
    /// let group = async_kit::task::TaskGroup::<(), ()>::new();
    /// assert_eq!(group.limit(), tokio::sync::Semaphore::MAX_PERMITS);
    /// ```
    #[must_use]
    pub fn limit(&self) -> usize {
        self.inner.pool.limit()
    }

    /// Returns `true` for a supervisor group.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(async_kit::task::TaskGroup::<(), ()>::supervisor().is_supervisor());
    /// ```
    #[must_use]
    pub fn is_supervisor(&self) -> bool {
        self.inner.node.is_supervisor()
    }

    /// Waits for a free slot (with a limit), then starts `fut` as a child,
    /// and returns its index: its place in [`join`](Self::join)'s output.
    ///
    /// If a deadline is in force where this is awaited, the child inherits
    /// it (see [`TaskGroup`]). A child spawned after the group was aborted
    /// is cancelled without being polled. After [`join`](Self::join) has
    /// seen every child end, it fails and hands `fut` back.
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute slots in the order
    /// they were requested. Cancelling a call to `spawn` makes you lose
    /// your place in the queue, and drops `fut` without ever polling it.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = TaskGroup::new();
    /// assert_eq!(group.spawn(async { Ok::<_, ()>("a") }).await.unwrap(), 0);
    /// assert_eq!(group.spawn(async { Ok("b") }).await.unwrap(), 1);
    /// assert_eq!(group.join().await.unwrap(), ["a", "b"]);
    /// # }
    /// ```
    pub async fn spawn<F>(&self, fut: F) -> Result<usize, SpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.inner.spawn(fut, true).await
    }

    /// Like [`spawn`](Self::spawn), but the child does not inherit the
    /// deadline in force here: it is *detached* from its spawner's budget
    /// (it still belongs to the group, which joins and cancels it).
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime.
    ///
    /// # Cancel safety
    ///
    /// As for [`spawn`](Self::spawn): cancelling it makes you lose your
    /// place in the queue, and drops `fut` without ever polling it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::task::TaskGroup;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let group = TaskGroup::<_, ()>::new();
    /// async_kit::time::timeout(Duration::from_secs(1), async {
    ///     group.spawn_detached(async { Ok(async_kit::deadline()) }).await.unwrap();
    /// })
    /// .await
    /// .unwrap();
    /// assert_eq!(group.join().await.unwrap(), [None]);
    /// # }
    /// ```
    pub async fn spawn_detached<F>(&self, fut: F) -> Result<usize, SpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.inner.spawn(fut, false).await
    }

    /// Starts `fut` as a child if a slot is free now, without waiting;
    /// otherwise hands it back, never polled (errgroup's `TryGo`).
    ///
    /// It inherits the deadline in force, as [`spawn`](Self::spawn) does.
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::{TaskGroup, TrySpawnError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = TaskGroup::<u8, ()>::new().with_limit(1);
    /// group.try_spawn(async { Ok(1) }).unwrap();
    /// let Err(TrySpawnError::Full(fut)) = group.try_spawn(async { Ok(2) }) else {
    ///     panic!("the group is full")
    /// };
    /// assert_eq!(fut.await, Ok(2));
    /// assert_eq!(group.join().await.unwrap(), [1]);
    /// # }
    /// ```
    #[track_caller]
    pub fn try_spawn<F>(&self, fut: F) -> Result<usize, TrySpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.inner.try_spawn(fut, true)
    }

    /// Returns a handle that spawns into this group and cancels it.
    ///
    /// # Examples
    ///
    /// See [`GroupHandle`].
    #[must_use]
    pub fn handle(&self) -> GroupHandle<T, E> {
        GroupHandle {
            inner: Arc::downgrade(&self.inner),
            node: self.inner.node.clone(),
        }
    }

    /// Returns the group's cancellation token, for children to watch.
    ///
    /// It is a child token of the enclosing group's, if any. Cancelling it
    /// is [`cancel`](Self::cancel).
    ///
    /// # Examples
    ///
    /// ```
    /// let group = async_kit::task::TaskGroup::<(), ()>::new();
    /// let token = group.token();
    /// group.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    #[must_use]
    pub fn token(&self) -> CancellationToken {
        self.inner.node.token.clone()
    }

    /// Cancels the group's token, and so the tokens of every group below
    /// it: children watching it can clean up and return. Nothing is
    /// dropped; see [`abort`](Self::abort).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = async_kit::task::TaskGroup::<&str, ()>::new();
    /// let token = group.token();
    /// group.spawn(async move {
    ///     token.cancelled().await;
    ///     Ok("stopped cleanly")
    /// }).await.unwrap();
    /// group.cancel();
    /// assert_eq!(group.join().await.unwrap(), ["stopped cleanly"]);
    /// # }
    /// ```
    pub fn cancel(&self) {
        self.inner.node.token.cancel();
    }

    /// Cancels the token and drops every child at its next `.await` (those
    /// not started, without polling them); they end with
    /// [`ChildError::Cancelled`]. This is what a failure does in a
    /// fail-fast group.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = async_kit::task::TaskGroup::<(), ()>::new();
    /// group.spawn(std::future::pending()).await.unwrap();
    /// group.abort();
    /// assert_eq!(group.join().await.unwrap_err().cancelled(), [0]);
    /// # }
    /// ```
    pub fn abort(&self) {
        self.inner.node.abort();
    }

    /// Adds a callback to run when child `index` ends, and returns its id;
    /// `None` if the group has no such child.
    ///
    /// These are the pool's done callbacks ([`TaskHandle::add_done_callback`],
    /// on the same [`DoneCallbacks`](crate::task::DoneCallbacks)): each runs
    /// once, on every outcome, right after the child's future is dropped
    /// and before [`join`](Self::join) can see the child's end. The
    /// callback gets [`Outcome::Completed`] with the child's result (`Ok`,
    /// or the [`ChildError`] of a child that failed, panicked or was
    /// cancelled by the group), or [`Outcome::Cancelled`] for a child
    /// dropped with the group. A callback added after the child ended runs
    /// at once, on this thread, while the group's list of children is
    /// locked: such a callback must not spawn into the group or add
    /// callbacks to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use async_kit::task::{Outcome, TaskGroup};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = TaskGroup::<u8, ()>::new();
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let index = group.spawn(async { Ok(4) }).await.unwrap();
    /// let seen = log.clone();
    /// group.add_done_callback(index, move |outcome| {
    ///     if let Outcome::Completed(Some(Ok(n))) = outcome {
    ///         seen.lock().unwrap().push(*n);
    ///     }
    /// });
    /// assert_eq!(group.join().await.unwrap(), [4]);
    /// assert_eq!(*log.lock().unwrap(), [4]);
    /// # }
    /// ```
    pub fn add_done_callback<C>(&self, index: usize, callback: C) -> Option<CallbackId>
    where
        C: FnOnce(Outcome<'_, Result<T, ChildError<E>>>) + Send + 'static,
    {
        let children = self.inner.lock();
        let handle = children.handles.get(index)?;
        Some(
            handle.add_done_callback(move |outcome: Outcome<'_, Ended<T, E>>| {
                callback(match outcome {
                    Outcome::Completed(ended) => {
                        Outcome::Completed(ended.map(|(result, _)| result))
                    }
                    Outcome::Panicked => Outcome::Panicked,
                    Outcome::Cancelled => Outcome::Cancelled,
                });
            }),
        )
    }

    /// Returns the live figures: running, queued, completed, failed,
    /// panicked, cancelled, peak running.
    ///
    /// # Examples
    ///
    /// See [`GroupFigures`].
    #[must_use]
    pub fn figures(&self) -> GroupFigures {
        self.inner.figures()
    }

    /// Waits for every child (and those they spawn) to end; returns their
    /// outputs in spawning order, or a [`GroupError`] with every failure
    /// in the order they happened and the cancelled children.
    ///
    /// In a supervisor group the outputs of the children that succeeded are
    /// dropped when any failed: use [`join_outcomes`](Self::join_outcomes)
    /// there.
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future drops the group, which aborts the
    /// children still running.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskGroup;
    ///
    /// # #[tokio::main]
    /// # async fn main() {
    /// let group = TaskGroup::<(), _>::new();
    /// group.spawn(async { Err("first") }).await.unwrap();
    /// let err = group.join().await.unwrap_err();
    /// assert_eq!(err.failures()[0].error.to_string(), "child failed: first");
    /// # }
    /// ```
    pub async fn join(self) -> Result<Vec<T>, GroupError<E>> {
        fail_fast(self.collect().await)
    }

    /// Waits for every child to end; returns each child's outcome in
    /// spawning order.
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future drops the group, which aborts the
    /// children still running.
    ///
    /// # Examples
    ///
    /// See [`TaskGroup::supervisor`].
    pub async fn join_outcomes(self) -> Vec<Result<T, ChildError<E>>> {
        let outcomes = self.collect().await;
        outcomes.into_iter().map(|(outcome, _)| outcome).collect()
    }

    pub(super) async fn collect(&self) -> Vec<Settled<T, E>> {
        let mut collect = Collect::new();
        collect.run(&self.inner).await;
        collect.outcomes
    }

    /// Cancels the token, waits up to `grace` for the children to end by
    /// themselves, then aborts the rest, and reports how each one ended.
    ///
    /// During the grace, a failure no longer aborts the other children
    /// (even in fail-fast mode): they have until the grace ends.
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime with the time driver.
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future drops the group, which aborts the
    /// children still running.
    ///
    /// # Examples
    ///
    /// See [`GroupReport`].
    pub async fn shutdown(self, grace: Duration) -> GroupReport<T, E> {
        self.inner.node.begin_shutdown();
        let mut collect = Collect::new();
        if tokio::time::timeout(grace, collect.run(&self.inner))
            .await
            .is_err()
        {
            self.inner.node.abort();
            collect.run(&self.inner).await;
        }
        GroupReport::new(
            collect
                .outcomes
                .into_iter()
                .map(|(outcome, _)| outcome)
                .collect(),
        )
    }

    pub(super) fn node(&self) -> &Arc<Node> {
        &self.inner.node
    }
}

impl<T, E> Default for TaskGroup<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<T, E> Drop for TaskGroup<T, E> {
    fn drop(&mut self) {
        // Children still waiting are dropped at their next poll; dropping
        // the pool (with the last `Arc`) then aborts its workers and drops
        // the children that never started. A joined group has no children
        // left, and its token stays as it was.
        if !self.inner.closed.load(Ordering::Acquire) {
            self.inner.node.abort();
        }
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("supervisor", &self.inner.node.is_supervisor())
            .field("limit", &self.inner.pool.limit())
            .field("cancelled", &self.inner.node.token.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl<T, E> GroupHandle<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    /// [`TaskGroup::spawn`] through the handle; fails and hands `fut` back
    /// once the group is gone or joined.
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancelling it makes you lose your place in the queue, and drops
    /// `fut` without ever polling it.
    ///
    /// # Examples
    ///
    /// See [`GroupHandle`].
    pub async fn spawn<F>(&self, fut: F) -> Result<usize, SpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        match self.inner.upgrade() {
            Some(inner) => inner.spawn(fut, true).await,
            None => Err(SpawnError(fut)),
        }
    }

    /// [`TaskGroup::spawn_detached`] through the handle.
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancelling it makes you lose your place in the queue, and drops
    /// `fut` without ever polling it.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = async_kit::task::TaskGroup::<u8, ()>::new();
    /// group.handle().spawn_detached(async { Ok(5) }).await.unwrap();
    /// assert_eq!(group.join().await.unwrap(), [5]);
    /// # }
    /// ```
    pub async fn spawn_detached<F>(&self, fut: F) -> Result<usize, SpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        match self.inner.upgrade() {
            Some(inner) => inner.spawn(fut, false).await,
            None => Err(SpawnError(fut)),
        }
    }

    /// [`TaskGroup::try_spawn`] through the handle.
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = async_kit::task::TaskGroup::<u8, ()>::new();
    /// let handle = group.handle();
    /// handle.try_spawn(async { Ok(1) }).unwrap();
    /// assert_eq!(group.join().await.unwrap(), [1]);
    /// assert!(handle.try_spawn(async { Ok(2) }).is_err());
    /// # }
    /// ```
    #[track_caller]
    pub fn try_spawn<F>(&self, fut: F) -> Result<usize, TrySpawnError<F>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        match self.inner.upgrade() {
            Some(inner) => inner.try_spawn(fut, true),
            None => Err(TrySpawnError::Closed(fut)),
        }
    }

    /// [`TaskGroup::token`] through the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// let group = async_kit::task::TaskGroup::<(), ()>::new();
    /// assert!(!group.handle().token().is_cancelled());
    /// ```
    #[must_use]
    pub fn token(&self) -> CancellationToken {
        self.node.token.clone()
    }

    /// [`TaskGroup::cancel`] through the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// let group = async_kit::task::TaskGroup::<(), ()>::new();
    /// group.handle().cancel();
    /// assert!(group.token().is_cancelled());
    /// ```
    pub fn cancel(&self) {
        self.node.token.cancel();
    }

    /// [`TaskGroup::abort`] through the handle.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let group = async_kit::task::TaskGroup::<(), ()>::new();
    /// group.spawn(std::future::pending()).await.unwrap();
    /// group.handle().abort();
    /// assert!(group.join().await.is_err());
    /// # }
    /// ```
    pub fn abort(&self) {
        self.node.abort();
    }
}

impl<T, E> Clone for GroupHandle<T, E> {
    fn clone(&self) -> Self {
        GroupHandle {
            inner: self.inner.clone(),
            node: self.node.clone(),
        }
    }
}

impl<T, E> fmt::Debug for GroupHandle<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupHandle")
            .field("open", &(self.inner.strong_count() > 0))
            .field("cancelled", &self.node.token.is_cancelled())
            .finish()
    }
}
