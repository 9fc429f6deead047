use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::builder::Builder;
use super::error::{SpawnError, SpawnTimeoutError, TrySpawnError};
use super::figures::{Figures, ShutdownReport};
use super::handle::TaskHandle;
use super::job::{Job, Outcome, Plain};
use super::job_queue::Queue;
use crate::padded::Padded;
use crate::sync::gate::Gate;
use crate::time::Timeout;

/// A bounded pool of tasks: never more than `limit` run at once.
///
/// Tasks run on the tokio runtime the pool is used from, in parallel across
/// its worker threads. The pool starts long-lived worker tasks lazily, up to
/// the limit, that pull tasks from a queue, so a task costs no
/// `tokio::spawn`. [`spawn`](TaskPool::spawn) waits for a free slot
/// (backpressure); [`try_spawn`](TaskPool::try_spawn) never waits and hands
/// the future back when the pool is full. With a
/// [queue capacity](Builder::queue_capacity), submissions beyond the limit
/// wait in a bounded queue instead.
///
/// A panicking task is caught and reported through its [`TaskHandle`] and
/// the [`figures`](TaskPool::figures); the pool and the other tasks go on,
/// and no pool method ever re-panics. Finished tasks are freed as they
/// finish: a pool whose results are never collected does not grow.
///
/// `TaskPool` is a handle: clones share the same pool. Dropping the last
/// handle **aborts** every task, queued or running, as dropping a `JoinSet`
/// does; running tasks are dropped by the runtime at their next `.await`
/// point. Call [`join`](TaskPool::join) or [`shutdown`](TaskPool::shutdown)
/// first to let them finish.
///
/// # Comparison to `JoinSet` + `Semaphore`
///
/// A `JoinSet` keeps every finished task until it is joined, re-panics in
/// `join_all`, and needs a `Semaphore` by hand to bound concurrency. A
/// `TaskPool` bounds by itself, frees what finishes, never re-panics, shuts
/// down with a deadline and a report, and costs less per task because it
/// reuses its workers instead of spawning a task each time (see the `pool`
/// benchmark). Use a `JoinSet` for tasks that are not `Send` (with
/// `spawn_local`) or to collect every result in one place.
///
/// # Examples
///
/// ```
/// use async_kit::task::TaskPool;
///
/// # #[tokio::main]
/// # async fn main() {
/// let pool = TaskPool::new(4);
/// let mut handles = Vec::new();
/// for i in 0..10_u64 {
///     handles.push(pool.spawn(async move { i * i }).await.unwrap());
/// }
/// let mut sum = 0;
/// for handle in handles {
///     sum += handle.await.unwrap();
/// }
/// assert_eq!(sum, 285);
/// assert!(pool.figures().peak_running <= 4);
/// # }
/// ```
#[derive(Clone)]
pub struct TaskPool {
    owner: Arc<Owner>,
}

/// The users' side of the pool; when the last `TaskPool` drops it, the pool
/// aborts. Workers hold `Shared` only, so they never keep it alive.
struct Owner {
    shared: Arc<Shared>,
}

struct Shared {
    name: Option<String>,
    idle_spin: Duration,
    queue_capacity: usize,
    // The fields that both submitters and workers write sit on cache lines
    // of their own, as do the counters that only one side writes.
    // Slots for tasks accepted and not finished: `limit + queue_capacity`.
    slots: Padded<Gate>,
    limit: AtomicUsize,
    // Workers allowed beyond `limit` after a shrink, so that tasks admitted
    // under the old limit still run side by side, as a Limiter's permit
    // holders do; one less each time a task ends, until it is zero.
    overdraft: AtomicUsize,
    workers: AtomicUsize,
    // `None` once the pool is closed; no worker starts after that.
    worker_set: Mutex<Option<JoinSet<()>>>,
    queue: Padded<Queue<Job>>,
    // Tasks accepted and tasks ended; `idle` is notified when they meet.
    submitted: Padded<AtomicU64>,
    finished: Padded<AtomicU64>,
    idle: Notify,
    running: Padded<AtomicUsize>,
    peak_running: AtomicUsize,
    panicked: AtomicU64,
    aborted: AtomicU64,
    elapsed: AtomicU64,
    // Whether a spawn takes the deadline in force where it is called (see
    // `TaskPool::spawn`); off for a `TaskGroup`'s pool, whose children
    // carry their own.
    inherit_deadline: bool,
    // Elastic pools (a `TaskGroup`'s) start workers on demand instead of
    // one per submission up to the limit: see `start_worker_on_demand`.
    elastic: Option<Elastic>,
}

/// How an elastic pool decides to start a worker: only when fewer than
/// `parallelism` workers are free to take jobs, a worker being taken while
/// its job waits (`blocked`). Trivial jobs then reuse a handful of workers,
/// however high the limit, and waiting jobs still never keep a queued one
/// from starting.
struct Elastic {
    parallelism: usize,
    blocked: Padded<AtomicUsize>,
}

impl TaskPool {
    /// Creates a pool that runs at most `limit` tasks at once, with no
    /// queue (see [`builder`](TaskPool::builder) for the options).
    ///
    /// No task is spawned until work arrives, so this may be called outside
    /// of a runtime. A limit of zero is allowed: nothing runs until
    /// [`set_limit`](TaskPool::set_limit) raises it.
    ///
    /// # Panics
    ///
    /// Panics if `limit` exceeds tokio's `Semaphore::MAX_PERMITS`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::task::TaskPool::new(8);
    /// assert_eq!(pool.limit(), 8);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn new(limit: usize) -> Self {
        Self::from_parts(None, limit, 0, Builder::DEFAULT_IDLE_SPIN, true)
    }

    /// A pool for a [`TaskGroup`](crate::task::TaskGroup): it starts a
    /// worker only when every worker is busy, instead of one per submission
    /// up to `limit`, so a limit of `Semaphore::MAX_PERMITS` costs no more
    /// workers than the jobs that wait at once.
    #[track_caller]
    pub(crate) fn elastic(limit: usize) -> Self {
        let parallelism = tokio::runtime::Handle::try_current().map_or(1, |handle| {
            match handle.runtime_flavor() {
                tokio::runtime::RuntimeFlavor::MultiThread => handle.metrics().num_workers(),
                _ => 1,
            }
        });
        Self::build(
            None,
            limit,
            0,
            Builder::DEFAULT_IDLE_SPIN,
            false,
            Some(Elastic {
                parallelism: parallelism.max(1),
                blocked: Padded(AtomicUsize::new(0)),
            }),
        )
    }

    /// Returns a builder to set the pool's name, limit and queue capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::task::TaskPool::builder().limit(2).build();
    /// assert_eq!(pool.limit(), 2);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    #[track_caller]
    pub(crate) fn from_parts(
        name: Option<String>,
        limit: usize,
        queue_capacity: usize,
        idle_spin: Duration,
        inherit_deadline: bool,
    ) -> Self {
        Self::build(
            name,
            limit,
            queue_capacity,
            idle_spin,
            inherit_deadline,
            None,
        )
    }

    #[track_caller]
    fn build(
        name: Option<String>,
        limit: usize,
        queue_capacity: usize,
        idle_spin: Duration,
        inherit_deadline: bool,
        elastic: Option<Elastic>,
    ) -> Self {
        let slots = limit
            .checked_add(queue_capacity)
            .expect("limit + queue capacity overflows usize");
        TaskPool {
            owner: Arc::new(Owner {
                shared: Arc::new(Shared {
                    name,
                    idle_spin,
                    queue_capacity,
                    slots: Padded(Gate::new(slots)),
                    limit: AtomicUsize::new(limit),
                    overdraft: AtomicUsize::new(0),
                    workers: AtomicUsize::new(0),
                    worker_set: Mutex::new(Some(JoinSet::new())),
                    // Made on an oversubscribed runtime, the queue parks
                    // rather than spins (see `items.rs`).
                    queue: Padded(Queue::new(
                        tokio::runtime::Handle::try_current()
                            .is_ok_and(|handle| is_oversubscribed(&handle)),
                    )),
                    submitted: Padded(AtomicU64::new(0)),
                    finished: Padded(AtomicU64::new(0)),
                    idle: Notify::new(),
                    running: Padded(AtomicUsize::new(0)),
                    peak_running: AtomicUsize::new(0),
                    panicked: AtomicU64::new(0),
                    aborted: AtomicU64::new(0),
                    elapsed: AtomicU64::new(0),
                    inherit_deadline,
                    elastic,
                }),
            }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.owner.shared
    }

    /// Waits for a free slot, then submits `fut` and returns its handle.
    ///
    /// A slot is free when fewer than `limit + queue_capacity` tasks are
    /// accepted and unfinished. Waiting callers are served in FIFO order.
    /// After [`shutdown`](TaskPool::shutdown) it fails with a
    /// [`SpawnError`] that hands `fut` back.
    ///
    /// # Deadlines
    ///
    /// If a deadline is in force where the spawn is awaited (inside a
    /// `#[timeout]` body, [`time::timeout`](crate::time::timeout), or a
    /// [`TaskGroup`](crate::task::TaskGroup) child that inherited one), the
    /// task inherits it: [`deadline()`](crate::deadline) inside the task
    /// returns it, and a task still running when it passes is dropped
    /// there and its handle returns [`TaskError::Elapsed`] (with
    /// [`Elapsed::is_inherited`](crate::Elapsed::is_inherited) `true`;
    /// counted in [`Figures::elapsed`]). With no deadline in force the cost
    /// is one thread-local read. [`spawn_detached`](TaskPool::spawn_detached)
    /// opts one task out, [`Builder::inherit_deadline`] a whole pool.
    ///
    /// [`TaskError::Elapsed`]: crate::task::TaskError::Elapsed
    /// [`Figures::elapsed`]: crate::task::Figures::elapsed
    /// [`Builder::inherit_deadline`]: crate::task::Builder::inherit_deadline
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime when the pool has to
    /// start a worker.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute slots in the order
    /// they were requested. Cancelling a call to `spawn` makes you lose your
    /// place in the queue, and drops `fut` without ever polling it.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = TaskPool::new(1);
    /// let handle = pool.spawn(async { "done" }).await.unwrap();
    /// assert_eq!(handle.await.unwrap(), "done");
    /// # }
    /// ```
    pub async fn spawn<F>(&self, fut: F) -> Result<TaskHandle<F::Output>, SpawnError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with(fut, true).await
    }

    /// Like [`spawn`](TaskPool::spawn), but the task does not inherit the
    /// deadline in force where it is spawned: it runs until it ends, is
    /// aborted, or the pool shuts down. For work that must outlive the
    /// request that started it (a cache refresh, an audit write).
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime when the pool has to
    /// start a worker.
    ///
    /// # Cancel safety
    ///
    /// As for [`spawn`](TaskPool::spawn): cancelling it loses the place in
    /// the queue for a slot and drops `fut` without ever polling it.
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
    /// let handle = async_kit::time::timeout(Duration::from_secs(1), async {
    ///     pool.spawn_detached(async {
    ///         assert_eq!(async_kit::deadline(), None);
    ///         tokio::time::sleep(Duration::from_secs(5)).await;
    ///         "done"
    ///     })
    ///     .await
    ///     .unwrap()
    /// })
    /// .await
    /// .unwrap();
    /// // The request's deadline passed long ago; the detached task did not care.
    /// assert_eq!(handle.await.unwrap(), "done");
    /// # }
    /// ```
    pub async fn spawn_detached<F>(&self, fut: F) -> Result<TaskHandle<F::Output>, SpawnError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with(fut, false).await
    }

    /// Waits for a slot, then submits `fut`, passing the deadline in force
    /// on if `inherit` (and the pool does).
    async fn spawn_with<F>(
        &self,
        fut: F,
        inherit: bool,
    ) -> Result<TaskHandle<F::Output>, SpawnError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.shared().slots.acquire().await {
            Ok(()) => Ok(self.shared().submit(fut, inherit)),
            Err(_) => Err(SpawnError(fut)),
        }
    }

    /// Submits `fut` if a slot is free now, without waiting.
    ///
    /// When the pool is full or shut down, the error hands `fut` back,
    /// never polled. It never overtakes a caller waiting in
    /// [`spawn`](TaskPool::spawn). The task inherits the deadline in force,
    /// as with [`spawn`](TaskPool::spawn).
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime when the pool has to
    /// start a worker.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::{TaskPool, TrySpawnError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = TaskPool::new(1);
    /// let _busy = pool.try_spawn(std::future::pending::<()>()).unwrap();
    /// let Err(TrySpawnError::Full(fut)) = pool.try_spawn(async { 3 }) else {
    ///     panic!("the pool is full")
    /// };
    /// assert_eq!(fut.await, 3);
    /// # }
    /// ```
    #[track_caller]
    pub fn try_spawn<F>(&self, fut: F) -> Result<TaskHandle<F::Output>, TrySpawnError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.shared().slots.try_acquire() {
            Ok(()) => Ok(self.shared().submit(fut, true)),
            Err(tokio::sync::TryAcquireError::NoPermits) => Err(TrySpawnError::Full(fut)),
            Err(tokio::sync::TryAcquireError::Closed) => Err(TrySpawnError::Closed(fut)),
        }
    }

    /// Waits at most `duration` for a free slot, then submits `fut`.
    ///
    /// On timeout or shutdown the error hands `fut` back, never polled.
    /// The task inherits the deadline in force, as with
    /// [`spawn`](TaskPool::spawn).
    ///
    /// # Panics
    ///
    /// Panics if called outside of a tokio runtime with the time driver.
    ///
    /// # Cancel safety
    ///
    /// This method uses a queue to fairly distribute slots in the order
    /// they were requested. Cancelling it makes you lose your place in the
    /// queue, and drops `fut` without ever polling it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = TaskPool::new(1);
    /// let handle = pool.spawn_timeout(Duration::from_secs(1), async { 1 }).await.unwrap();
    /// assert_eq!(handle.await.unwrap(), 1);
    /// # }
    /// ```
    pub async fn spawn_timeout<F>(
        &self,
        duration: Duration,
        fut: F,
    ) -> Result<TaskHandle<F::Output>, SpawnTimeoutError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match tokio::time::timeout(duration, self.shared().slots.acquire()).await {
            Ok(Ok(())) => Ok(self.shared().submit(fut, true)),
            Ok(Err(_)) => Err(SpawnTimeoutError::Closed(fut)),
            Err(_) => Err(SpawnTimeoutError::Elapsed(fut)),
        }
    }

    /// Waits until no task is queued or running.
    ///
    /// Everything submitted before the call is waited for; tasks submitted
    /// while it waits are waited for too. Panics and aborts of tasks do not
    /// make it fail: their handles and the figures report them.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: it only watches the pool.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main]
    /// # async fn main() {
    /// let pool = TaskPool::new(2);
    /// for _ in 0..5 {
    ///     drop(pool.spawn(async { tokio::task::yield_now().await }).await.unwrap());
    /// }
    /// pool.join().await;
    /// assert_eq!(pool.figures().completed, 5);
    /// # }
    /// ```
    pub async fn join(&self) {
        self.shared().wait_idle().await;
    }

    /// Stops intake, lets the tasks already accepted finish until `grace`
    /// has passed, aborts the rest, and reports how every task ended.
    ///
    /// At once: waiting and new submissions fail and hand their future back.
    /// Tasks already accepted, running or queued, go on until the deadline;
    /// those not finished then are dropped, counted as aborted, and their
    /// handles give [`TaskError::Shutdown`](crate::task::TaskError::Shutdown). It
    /// returns as soon as every task has finished or been dropped. Calling
    /// it again, or on a clone, waits for the tasks still running and
    /// reports again.
    ///
    /// # Cancel safety
    ///
    /// Cancelling it leaves the pool shut down; tasks still running go on
    /// until they finish or the last handle is dropped.
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
    /// let quick = pool.spawn(tokio::time::sleep(Duration::from_millis(10))).await.unwrap();
    /// let slow = pool.spawn(tokio::time::sleep(Duration::from_secs(60))).await.unwrap();
    /// let report = pool.shutdown(Duration::from_secs(1)).await;
    /// assert_eq!((report.completed, report.aborted), (1, 1));
    /// assert!(quick.await.is_ok());
    /// assert!(slow.await.unwrap_err().is_shutdown());
    /// # }
    /// ```
    pub async fn shutdown(&self, grace: Duration) -> ShutdownReport {
        let shared = self.shared();
        let deadline = Instant::now() + grace;
        let workers = shared.close();
        let finished = tokio::time::timeout_at(deadline, shared.wait_idle())
            .await
            .is_ok();
        if let Some(mut workers) = workers {
            if !finished {
                workers.abort_all();
                shared.drop_queued();
            }
            // Workers exit by themselves once the closed queue is empty.
            while workers.join_next().await.is_some() {}
            // Aborted workers could not count themselves out.
            shared.workers.store(0, Ordering::Release);
        }
        shared.report()
    }

    /// Returns `true` once [`shutdown`](TaskPool::shutdown) has been called.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = async_kit::task::TaskPool::new(1);
    /// assert!(!pool.is_closed());
    /// pool.shutdown(Duration::ZERO).await;
    /// assert!(pool.is_closed());
    /// # }
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared().queue.is_closed()
    }

    /// Changes how many tasks run at once.
    ///
    /// Growing starts workers for queued tasks and wakes waiting spawns at
    /// once. Shrinking never cancels or serialises admitted tasks: the tasks
    /// whose `spawn` returned before the shrink, up to the old limit, keep
    /// running side by side (as a [`Limiter`](crate::Limiter)'s permit
    /// holders do); only tasks admitted later, and those waiting in the
    /// queue beyond the old limit, wait for the new one. Workers beyond the
    /// new limit stop as those tasks finish, so
    /// [`running`](Figures::running) may stay above the new limit until
    /// then. The queue capacity stays as built.
    ///
    /// # Panics
    ///
    /// Panics if `limit + queue_capacity` exceeds tokio's
    /// `Semaphore::MAX_PERMITS`, or if it has to start a worker outside of a
    /// tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = TaskPool::new(0);
    /// let handle = pool.spawn_timeout(std::time::Duration::from_secs(1), async { 5 });
    /// # let handle = async { pool.set_limit(1); handle.await }.await;
    /// assert_eq!(handle.unwrap().await.unwrap(), 5);
    /// assert_eq!(pool.limit(), 1);
    /// # }
    /// ```
    #[track_caller]
    pub fn set_limit(&self, limit: usize) {
        let shared = self.shared();
        let slots = limit
            .checked_add(shared.queue_capacity)
            .expect("limit + queue capacity overflows usize");
        // Tasks already admitted to run (at most the old allowance) keep
        // their place beside each other; only new admissions see the new
        // limit. The overdraft is written before the limit, which workers
        // read first (Release / Acquire), so a worker that sees a lower
        // limit sees the overdraft that goes with it.
        let allowance = shared.allowance();
        let admitted = usize::try_from(shared.live())
            .unwrap_or(usize::MAX)
            .min(allowance);
        shared
            .overdraft
            .store(admitted.saturating_sub(limit), Ordering::Release);
        shared.limit.store(limit, Ordering::Release);
        shared.slots.set_limit(slots);
        for _ in 0..shared.queue.len() {
            if !shared.start_worker_if_below_limit() {
                break;
            }
        }
    }

    /// Returns how many tasks may run at once.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(async_kit::task::TaskPool::new(5).limit(), 5);
    /// ```
    #[must_use]
    pub fn limit(&self) -> usize {
        self.shared().limit.load(Ordering::Acquire)
    }

    /// Returns how many tasks may wait in the queue beyond the limit.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(async_kit::task::TaskPool::new(5).queue_capacity(), 0);
    /// ```
    #[must_use]
    pub fn queue_capacity(&self) -> usize {
        self.shared().queue_capacity
    }

    /// Returns the pool's name, if it was given one.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(async_kit::task::TaskPool::new(5).name(), None);
    /// ```
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.shared().name.as_deref()
    }

    /// Returns the live figures: running, queued, completed, panicked,
    /// aborted, peak running, and workers.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = TaskPool::new(3);
    /// let _h = pool.spawn(std::future::pending::<()>()).await.unwrap();
    /// assert_eq!(pool.figures().queued, 1);
    /// tokio::task::yield_now().await;
    /// assert_eq!(pool.figures().running, 1);
    /// # }
    /// ```
    #[must_use]
    pub fn figures(&self) -> Figures {
        self.shared().figures()
    }
}

impl fmt::Debug for TaskPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared();
        f.debug_struct("TaskPool")
            .field("name", &shared.name)
            .field("limit", &self.limit())
            .field("queue_capacity", &shared.queue_capacity)
            .field("figures", &shared.figures())
            .finish()
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        // Dropping the `JoinSet` aborts every worker, and with it the task
        // it runs.
        let workers = self.shared.close();
        self.shared.drop_queued();
        drop(workers);
    }
}

impl Shared {
    #[track_caller]
    fn submit<F>(self: &Arc<Self>, fut: F, inherit: bool) -> TaskHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // One thread-local read when no deadline is in force.
        let deadline = if inherit && self.inherit_deadline {
            crate::deadline()
        } else {
            None
        };
        let (job, task) = match deadline {
            None => Job::new(Plain::new(fut)),
            Some(deadline) => Job::new(Timeout::inherited(deadline, fut)),
        };
        self.submitted.fetch_add(1, Ordering::SeqCst);
        match self.queue.push(job) {
            Ok(()) => {
                if self.elastic.is_some() {
                    self.start_worker_on_demand();
                } else {
                    self.start_worker_if_below_limit();
                }
            }
            // Closed by a shutdown since the slot was taken: the job is
            // dropped unpolled and its handle says so.
            Err(job) => {
                drop(job);
                self.finish(Outcome::Aborted);
            }
        }
        TaskHandle::new(task)
    }

    /// Starts one more worker if fewer than `limit` are alive. Returns
    /// `false` when the pool already has enough (or is closed).
    #[track_caller]
    fn start_worker_if_below_limit(self: &Arc<Self>) -> bool {
        let limit = self.allowance();
        let mut workers = self.workers.load(Ordering::Acquire);
        loop {
            if workers >= limit {
                return false;
            }
            match self.workers.compare_exchange_weak(
                workers,
                workers + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => workers = actual,
            }
        }
        let mut set = self.lock_workers();
        match set.as_mut() {
            Some(set) => {
                // Reap workers that retired, so the set stays within the limit.
                while set.try_join_next().is_some() {}
                set.spawn(work(self.clone()));
                true
            }
            None => {
                self.workers.fetch_sub(1, Ordering::AcqRel);
                false
            }
        }
    }

    /// An elastic pool's rule: starts a worker (within the limit) when
    /// fewer than `parallelism` workers are not blocked on a waiting job.
    ///
    /// A submitter pushes and then looks at `blocked`; a worker whose job
    /// waits bumps `blocked` and then looks at the queue. The `SeqCst`
    /// fences between each side's write and read forbid both reads missing
    /// the other's write, so a queued job always finds a worker.
    #[track_caller]
    fn start_worker_on_demand(self: &Arc<Self>) {
        if let Some(elastic) = &self.elastic {
            std::sync::atomic::fence(Ordering::SeqCst);
            let workers = self.workers.load(Ordering::SeqCst);
            let blocked = elastic.blocked.load(Ordering::SeqCst);
            if workers.saturating_sub(blocked) < elastic.parallelism {
                self.start_worker_if_below_limit();
            }
        }
    }

    /// Runs a job on an elastic pool: polls it once, and if it waits,
    /// counts this worker as blocked until it ends and starts another
    /// worker for the jobs queued behind it.
    async fn run_elastic(self: &Arc<Self>, mut job: Job) -> Outcome {
        let first = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::pin::Pin::new(&mut job).poll(cx))
        })
        .await;
        if let std::task::Poll::Ready(outcome) = first {
            return outcome;
        }
        let Some(elastic) = &self.elastic else {
            return job.await;
        };
        elastic.blocked.fetch_add(1, Ordering::SeqCst);
        let _unblock = Unblock(&elastic.blocked);
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.queue.len() > 0 {
            self.start_worker_on_demand();
        }
        job.await
    }

    fn lock_workers(&self) -> MutexGuard<'_, Option<JoinSet<()>>> {
        // Nothing panics while holding it; a poisoned lock is still sound.
        self.worker_set.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many workers may be alive: the limit, plus the overdraft that
    /// a shrink left for tasks admitted before it.
    fn allowance(&self) -> usize {
        let limit = self.limit.load(Ordering::Acquire);
        limit.saturating_add(self.overdraft.load(Ordering::Acquire))
    }

    /// Retires the calling worker if there are more workers than the
    /// allowance.
    fn retire_if_over_limit(&self) -> bool {
        let mut workers = self.workers.load(Ordering::Acquire);
        loop {
            if workers <= self.allowance() {
                return false;
            }
            match self.workers.compare_exchange_weak(
                workers,
                workers - 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => workers = actual,
            }
        }
    }

    /// On an elastic pool, retires the calling worker when nothing is
    /// queued and more than `parallelism` others are free: the workers a
    /// burst of waiting jobs needed do not outlive it (and ending costs
    /// less than parking).
    fn retire_if_surplus(&self) -> bool {
        let Some(elastic) = &self.elastic else {
            return false;
        };
        if self.queue.len() > 0 {
            return false;
        }
        let mut workers = self.workers.load(Ordering::SeqCst);
        loop {
            let blocked = elastic.blocked.load(Ordering::SeqCst);
            if workers.saturating_sub(blocked) <= elastic.parallelism + 1 {
                return false;
            }
            match self.workers.compare_exchange_weak(
                workers,
                workers - 1,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(actual) => workers = actual,
            }
        }
    }

    /// Closes intake; returns the workers, the first time only. Workers
    /// still drain the queue, then exit.
    fn close(&self) -> Option<JoinSet<()>> {
        self.slots.close();
        self.queue.close();
        self.lock_workers().take()
    }

    /// Drops the jobs that wait in the queue.
    fn drop_queued(&self) {
        while let Some(job) = self.queue.try_pop() {
            drop(job);
            self.finish(Outcome::Aborted);
        }
    }

    /// Accounts for one job that ended, however it ended.
    fn finish(&self, outcome: Outcome) {
        // `completed` is `finished - panicked - aborted`: the common ending
        // costs no counter of its own.
        match outcome {
            Outcome::Completed => {}
            Outcome::Panicked => {
                self.panicked.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Aborted => {
                self.aborted.fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Elapsed => {
                self.elapsed.fetch_add(1, Ordering::Relaxed);
            }
        }
        // One admitted task fewer to make room for after a shrink. A plain
        // load first: the overdraft is zero unless the limit just shrank.
        if self.overdraft.load(Ordering::Relaxed) != 0 {
            let _ = self
                .overdraft
                .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |n| n.checked_sub(1));
        }
        self.slots.release();
        // Every task's submission happens before its end, so the last one
        // to finish sees `finished == submitted`.
        let finished = self.finished.fetch_add(1, Ordering::SeqCst) + 1;
        if finished == self.submitted.load(Ordering::SeqCst) {
            self.idle.notify_waiters();
        }
    }

    /// Accepted and not finished; `finished` is read first, so a task
    /// submitted in between only makes it larger.
    fn live(&self) -> u64 {
        let finished = self.finished.load(Ordering::SeqCst);
        self.submitted
            .load(Ordering::SeqCst)
            .saturating_sub(finished)
    }

    fn completed(&self) -> u64 {
        // The outcome counters are bumped before `finished`.
        let finished = self.finished.load(Ordering::SeqCst);
        finished
            .saturating_sub(self.panicked.load(Ordering::Relaxed))
            .saturating_sub(self.aborted.load(Ordering::Relaxed))
            .saturating_sub(self.elapsed.load(Ordering::Relaxed))
    }

    async fn wait_idle(&self) {
        loop {
            let mut notified = pin!(self.idle.notified());
            // Register before reading `live`, so the last `finish` cannot
            // notify in between and be missed.
            notified.as_mut().enable();
            if self.live() == 0 {
                return;
            }
            notified.await;
        }
    }

    fn figures(&self) -> Figures {
        let running = self.running.load(Ordering::Acquire);
        Figures {
            running,
            queued: usize::try_from(self.live())
                .unwrap_or(usize::MAX)
                .saturating_sub(running),
            completed: self.completed(),
            panicked: self.panicked.load(Ordering::Relaxed),
            aborted: self.aborted.load(Ordering::Relaxed),
            elapsed: self.elapsed.load(Ordering::Relaxed),
            peak_running: self.peak_running.load(Ordering::Relaxed),
            workers: self.workers.load(Ordering::Acquire),
        }
    }

    fn report(&self) -> ShutdownReport {
        ShutdownReport {
            completed: self.completed(),
            aborted: self.aborted.load(Ordering::Relaxed),
            panicked: self.panicked.load(Ordering::Relaxed),
            elapsed: self.elapsed.load(Ordering::Relaxed),
        }
    }
}

/// One worker: runs jobs one after another until the pool closes or the
/// limit shrinks below the number of workers.
async fn work(shared: Arc<Shared>) {
    let spin = if watching_pays() {
        shared.idle_spin
    } else {
        Duration::ZERO
    };
    loop {
        let Some(job) = shared.queue.pop(spin).await else {
            break;
        };
        if shared.retire_if_over_limit() {
            // The limit shrank while this worker waited: hand the job to
            // the workers that stay (or to the queue, for a limit of zero),
            // at the front, so it still runs before the jobs behind it.
            if let Err(job) = shared.queue.push_front(job) {
                drop(job);
                shared.finish(Outcome::Aborted);
            }
            return;
        }
        let mut running = Running::start(&shared);
        running.outcome = if shared.elastic.is_some() {
            shared.run_elastic(job).await
        } else {
            job.await
        };
        drop(running);
        if shared.retire_if_over_limit() || shared.retire_if_surplus() {
            return;
        }
        // Jobs that are always ready would otherwise keep this worker from
        // ever yielding to the runtime.
        tokio::task::coop::consume_budget().await;
    }
    shared.workers.fetch_sub(1, Ordering::AcqRel);
}

/// Watching the queue only pays where another thread can fill it
/// meanwhile, and where the watcher does not take a core that the runtime's
/// other threads need: a multi-thread runtime with no more workers than the
/// machine has cores.
fn watching_pays() -> bool {
    let handle = tokio::runtime::Handle::current();
    handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        && !is_oversubscribed(&handle)
}

/// A multi-thread runtime with more workers than the machine has cores.
fn is_oversubscribed(handle: &tokio::runtime::Handle) -> bool {
    handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        && handle.metrics().num_workers()
            > std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Counts a blocked worker of an elastic pool back in, even when the worker
/// is aborted while its job waits.
struct Unblock<'a>(&'a AtomicUsize);

impl Drop for Unblock<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accounts for the job a worker runs; dropped with the worker, it counts
/// the job as aborted.
struct Running<'a> {
    shared: &'a Shared,
    outcome: Outcome,
}

impl<'a> Running<'a> {
    fn start(shared: &'a Shared) -> Self {
        let now = shared.running.fetch_add(1, Ordering::AcqRel) + 1;
        if now > shared.peak_running.load(Ordering::Relaxed) {
            shared.peak_running.fetch_max(now, Ordering::Relaxed);
        }
        Running {
            shared,
            outcome: Outcome::Aborted,
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.shared.running.fetch_sub(1, Ordering::AcqRel);
        self.shared.finish(self.outcome);
    }
}
