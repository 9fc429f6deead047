use std::io;
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::figures::Counters;
use super::pool::CpuPool;

/// Builds a [`CpuPool`]; from [`CpuPool::builder`].
///
/// # Examples
///
/// ```
/// use async_kit::offload::CpuPool;
///
/// let pool = CpuPool::builder()
///     .name("thumbnails")
///     .threads(2)
///     .queue_capacity(100)
///     .build()
///     .unwrap();
/// assert_eq!((pool.name(), pool.threads(), pool.queue_capacity()), ("thumbnails", 2, Some(100)));
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder {
    name: String,
    threads: Option<usize>,
    queue_capacity: Option<usize>,
}

impl Builder {
    pub(crate) fn new() -> Self {
        Builder {
            name: "async-kit-cpu".to_owned(),
            threads: None,
            queue_capacity: None,
        }
    }

    /// Names the pool; its threads are called `{name}-{index}`.
    ///
    /// The default is `async-kit-cpu`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = async_kit::offload::CpuPool::builder().name("img").threads(1).build().unwrap();
    /// let thread = pool.offload(|| std::thread::current().name().map(str::to_owned)).await;
    /// assert_eq!(thread.unwrap().as_deref(), Some("img-0"));
    /// # }
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the number of threads.
    ///
    /// The default is one thread per core
    /// ([`std::thread::available_parallelism`]).
    ///
    /// # Panics
    ///
    /// Panics if `threads` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::offload::CpuPool::builder().threads(2).build().unwrap();
    /// assert_eq!(pool.threads(), 2);
    /// ```
    #[track_caller]
    pub fn threads(mut self, threads: usize) -> Self {
        assert!(threads > 0, "a CPU pool needs at least one thread");
        self.threads = Some(threads);
        self
    }

    /// Bounds the submission queue: at most `capacity` jobs wait for a thread
    /// (jobs running are not counted).
    ///
    /// When it is full, [`CpuPool::offload`] waits for room and
    /// [`CpuPool::try_offload`] hands the closure back. The default is an
    /// unbounded queue.
    ///
    /// # Panics
    ///
    /// Panics if `capacity` is zero or larger than
    /// [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::offload::CpuPool::builder().queue_capacity(16).build().unwrap();
    /// assert_eq!(pool.queue_capacity(), Some(16));
    /// ```
    #[track_caller]
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        assert!(capacity > 0, "a bounded queue needs room for one job");
        assert!(
            capacity <= Semaphore::MAX_PERMITS,
            "queue capacity is larger than `Semaphore::MAX_PERMITS`"
        );
        self.queue_capacity = Some(capacity);
        self
    }

    /// Starts the pool's threads.
    ///
    /// # Errors
    ///
    /// Returns the operating system's error if a thread cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::offload::CpuPool::builder().build().unwrap();
    /// assert_eq!(pool.name(), "async-kit-cpu");
    /// ```
    pub fn build(self) -> io::Result<CpuPool> {
        let threads = self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        let counters = Arc::new(Counters::new(threads));
        let workers = Arc::clone(&counters);
        let prefix = self.name.clone();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |index| format!("{prefix}-{index}"))
            .start_handler(move |index| workers.install_worker(index))
            // Jobs catch their own panics; this handler only sees a panic
            // from dropping a result nobody waits for, and keeps it from
            // aborting the process.
            .panic_handler(drop)
            .build()
            .map_err(io::Error::other)?;
        Ok(CpuPool::from_parts(
            self.name,
            pool,
            counters,
            self.queue_capacity,
        ))
    }
}
