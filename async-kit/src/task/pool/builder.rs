use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use super::task_pool::TaskPool;

/// Configures a [`TaskPool`]: its name, limit, queue capacity, and how
/// long an idle worker watches for work before it parks.
///
/// # Examples
///
/// ```
/// use async_kit::task::TaskPool;
///
/// let pool = TaskPool::builder()
///     .name("crawler")
///     .limit(16)
///     .queue_capacity(100)
///     .build();
/// assert_eq!(pool.name(), Some("crawler"));
/// assert_eq!(pool.limit(), 16);
/// assert_eq!(pool.queue_capacity(), 100);
/// ```
#[derive(Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder {
    name: Option<String>,
    limit: Option<usize>,
    queue_capacity: usize,
    idle_spin: Duration,
    inherit_deadline: bool,
}

impl Builder {
    pub(crate) const DEFAULT_IDLE_SPIN: Duration = Duration::from_micros(10);

    pub(crate) fn new() -> Self {
        Builder {
            name: None,
            limit: None,
            queue_capacity: 0,
            idle_spin: Self::DEFAULT_IDLE_SPIN,
            inherit_deadline: true,
        }
    }

    /// Names the pool (shown by `Debug` and [`TaskPool::name`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::task::TaskPool::builder().name("io").build();
    /// assert_eq!(pool.name(), Some("io"));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets how many tasks run at once. The default is the machine's
    /// available parallelism ([`std::thread::available_parallelism`], or 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::task::TaskPool::builder().limit(3).build();
    /// assert_eq!(pool.limit(), 3);
    /// ```
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Lets up to `capacity` tasks wait in a queue when `limit` tasks run,
    /// so [`TaskPool::spawn`] returns at once for them. The default is 0:
    /// a spawn waits until a running task finishes.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = TaskPool::builder().limit(1).queue_capacity(1).build();
    /// let _running = pool.try_spawn(std::future::pending::<()>()).unwrap();
    /// let _queued = pool.try_spawn(async {}).unwrap();
    /// assert!(pool.try_spawn(async {}).is_err());
    /// # }
    /// ```
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity;
        self
    }

    /// Sets how long one idle worker watches the queue for new tasks
    /// before it parks, on a multi-thread runtime. The default is 10 µs;
    /// `Duration::ZERO` parks at once.
    ///
    /// Parking a runtime thread and waking it for the next task costs a
    /// futex round trip and a context switch, several microseconds (tens on
    /// a virtual machine), which dominates when tasks are short and arrive
    /// in bursts. At most one worker of the pool watches at a time, with
    /// `std::hint::spin_loop`, so a pool that runs dry costs at most this
    /// long of one thread's time; other tasks on that thread wait for it
    /// meanwhile. Workers never watch on a current-thread runtime, where
    /// nothing can submit while they do, nor on a multi-thread runtime with
    /// more worker threads than the machine has cores, where the watcher
    /// would take a core that another thread needs.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // A pool of long I/O-bound tasks gains nothing from watching.
    /// let pool = async_kit::task::TaskPool::builder()
    ///     .idle_spin(Duration::ZERO)
    ///     .build();
    /// # drop(pool);
    /// ```
    pub fn idle_spin(mut self, budget: Duration) -> Self {
        self.idle_spin = budget;
        self
    }

    /// Sets whether tasks inherit the deadline in force where they are
    /// spawned (the default: `true`).
    ///
    /// With `false`, every task of the pool is detached from its spawner's
    /// deadline, as [`TaskPool::spawn_detached`] makes one task: for a pool
    /// of background work that must outlive the requests that submit it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::task::TaskPool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = TaskPool::builder().inherit_deadline(false).build();
    /// let handle = async_kit::time::timeout(Duration::from_secs(1), async {
    ///     pool.spawn(async {
    ///         assert_eq!(async_kit::deadline(), None);
    ///         tokio::time::sleep(Duration::from_secs(5)).await;
    ///         "outlived the request"
    ///     })
    ///     .await
    ///     .unwrap()
    /// })
    /// .await
    /// .unwrap();
    /// assert_eq!(handle.await.unwrap(), "outlived the request");
    /// # }
    /// ```
    pub fn inherit_deadline(mut self, inherit: bool) -> Self {
        self.inherit_deadline = inherit;
        self
    }

    /// Creates the pool. No task is spawned until work arrives.
    ///
    /// # Panics
    ///
    /// Panics if `limit + queue_capacity` exceeds tokio's
    /// `Semaphore::MAX_PERMITS` (`usize::MAX >> 3`).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::task::TaskPool::builder().build();
    /// assert!(pool.limit() >= 1);
    /// ```
    #[track_caller]
    pub fn build(self) -> TaskPool {
        let limit = self
            .limit
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get));
        TaskPool::from_parts(
            self.name,
            limit,
            self.queue_capacity,
            self.idle_spin,
            self.inherit_deadline,
        )
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field("limit", &self.limit)
            .field("queue_capacity", &self.queue_capacity)
            .field("idle_spin", &self.idle_spin)
            .field("inherit_deadline", &self.inherit_deadline)
            .finish()
    }
}
