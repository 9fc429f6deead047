use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use rayon::iter::{IntoParallelIterator, ParallelIterator};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::builder::Builder;
use super::cancel::CancelFlag;
use super::error::{OffloadError, TryOffloadError};
use super::figures::{Counters, Figures};
use super::offload::{Offload, Outcome};

static GLOBAL: OnceLock<CpuPool> = OnceLock::new();

/// A pool of CPU threads for CPU-bound closures, with a name, a thread
/// count, an optional bounded queue and live [`Figures`].
///
/// Each pool is a rayon [`ThreadPool`]: jobs are spread over its threads by
/// work stealing, and [`par_map`](Self::par_map) splits a batch across them.
/// A panic in a job never aborts the process (unlike a bare
/// [`rayon::spawn`]): it comes back as an [`OffloadError`] that carries the
/// payload.
///
/// The free functions [`offload`], [`offload_with`] and [`par_map`] use the
/// [global](Self::global) pool, sized to the machine. Build a named pool to
/// keep one kind of work from crowding out another, or to bound how much can
/// wait: with [`Builder::queue_capacity`], [`offload`](Self::offload) waits
/// for room and [`try_offload`](Self::try_offload) hands the closure back.
///
/// The handle is cheap to clone; the threads stop once every handle is
/// dropped and every submitted job has run.
///
/// # Comparison to `spawn_blocking`
///
/// [`tokio::task::spawn_blocking`] runs closures on tokio's blocking pool,
/// made for blocking I/O: it grows to 512 threads, so a burst of CPU jobs
/// starts far more threads than cores, and its jobs cannot be skipped once
/// dropped or asked to stop. Use a `CpuPool` for computation and
/// [`offload_blocking`] (`spawn_blocking` under a name that says so) for
/// blocking I/O.
///
/// # Examples
///
/// ```
/// use async_kit::offload::CpuPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = CpuPool::builder().name("hashing").threads(2).build().unwrap();
/// assert_eq!(pool.name(), "hashing");
/// assert_eq!(pool.threads(), 2);
///
/// let sum = pool.offload(|| (1..=100_u64).sum::<u64>()).await.unwrap();
/// assert_eq!(sum, 5050);
/// assert_eq!(pool.figures().completed, 1);
/// # }
/// ```
///
/// [`ThreadPool`]: rayon::ThreadPool
/// [`offload`]: super::offload
/// [`offload_with`]: super::offload_with
/// [`par_map`]: super::par_map
/// [`offload_blocking`]: super::offload_blocking
#[derive(Clone)]
pub struct CpuPool {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    pool: rayon::ThreadPool,
    // Queue slots and their number; a job holds a slot from submission
    // until it starts.
    queue: Option<(Arc<Semaphore>, usize)>,
    counters: Arc<Counters>,
}

impl CpuPool {
    /// Returns a builder for a new pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::offload::CpuPool::builder().threads(1).build().unwrap();
    /// assert_eq!(pool.threads(), 1);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_parts(
        name: String,
        pool: rayon::ThreadPool,
        counters: Arc<Counters>,
        queue: Option<usize>,
    ) -> Self {
        CpuPool {
            inner: Arc::new(Inner {
                name,
                pool,
                queue: queue.map(|slots| (Arc::new(Semaphore::new(slots)), slots)),
                counters,
            }),
        }
    }

    /// Returns the global pool, which the free functions of
    /// [`offload`](super) use.
    ///
    /// It is built on first use with [`Builder`]'s defaults (named
    /// `async-kit-cpu`, one thread per core, unbounded queue), unless
    /// [`set_global`](Self::set_global) installed another one first.
    ///
    /// # Panics
    ///
    /// Panics if the pool has to be built and its threads cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::offload::CpuPool;
    ///
    /// let cores = std::thread::available_parallelism().unwrap().get();
    /// assert_eq!(CpuPool::global().threads(), cores);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn global() -> &'static CpuPool {
        GLOBAL.get_or_init(|| {
            Builder::new()
                .build()
                .expect("failed to start the threads of the global CPU pool")
        })
    }

    /// Installs `pool` as the [global](Self::global) pool.
    ///
    /// Call it at start-up, before any job uses the global pool.
    ///
    /// # Errors
    ///
    /// Hands `pool` back if the global pool is already set (or was already
    /// built by a first use).
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::offload::CpuPool;
    ///
    /// let pool = CpuPool::builder().name("main-cpu").threads(1).build().unwrap();
    /// CpuPool::set_global(pool).unwrap();
    /// assert_eq!(CpuPool::global().name(), "main-cpu");
    ///
    /// let late = CpuPool::builder().threads(1).build().unwrap();
    /// assert!(CpuPool::set_global(late).is_err());
    /// ```
    pub fn set_global(pool: CpuPool) -> Result<(), CpuPool> {
        GLOBAL.set(pool)
    }

    /// Returns the pool's name, the prefix of its threads' names.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::offload::CpuPool::builder().name("img").build().unwrap();
    /// assert_eq!(pool.name(), "img");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Returns the number of threads of the pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = async_kit::offload::CpuPool::builder().threads(3).build().unwrap();
    /// assert_eq!(pool.threads(), 3);
    /// ```
    #[must_use]
    pub fn threads(&self) -> usize {
        self.inner.pool.current_num_threads()
    }

    /// Returns the capacity of the submission queue, or `None` when it is
    /// unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::offload::CpuPool;
    ///
    /// let pool = CpuPool::builder().queue_capacity(64).build().unwrap();
    /// assert_eq!(pool.queue_capacity(), Some(64));
    /// assert_eq!(CpuPool::builder().build().unwrap().queue_capacity(), None);
    /// ```
    #[must_use]
    pub fn queue_capacity(&self) -> Option<usize> {
        self.inner.queue.as_ref().map(|(_, slots)| *slots)
    }

    /// Returns the pool's live figures: jobs running, queued, completed,
    /// panicked and skipped.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::offload::CpuPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = CpuPool::builder().threads(1).build().unwrap();
    /// assert_eq!(pool.figures().completed, 0);
    /// pool.offload(|| ()).await.unwrap();
    /// assert_eq!(pool.figures().completed, 1);
    /// # }
    /// ```
    #[must_use]
    pub fn figures(&self) -> Figures {
        self.inner.counters.snapshot()
    }

    /// Runs `f` on the pool and returns a future of its result.
    ///
    /// The job is submitted at once when the queue has room (always, for an
    /// unbounded pool); otherwise the returned future waits for a slot when
    /// polled. A panic in `f` comes back as an [`OffloadError`] that carries
    /// the payload. See [`Offload`] for what dropping the future does.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the job starts skips the job (and gives up
    /// its place in the queue); dropping it later loses the result, while
    /// the job runs to its end.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::offload::CpuPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = CpuPool::builder().threads(1).build().unwrap();
    /// let fib = pool.offload(|| {
    ///     let (mut a, mut b) = (0_u64, 1_u64);
    ///     for _ in 0..50 {
    ///         (a, b) = (b, a + b);
    ///     }
    ///     a
    /// });
    /// assert_eq!(fib.await.unwrap(), 12_586_269_025);
    /// # }
    /// ```
    pub fn offload<F, R>(&self, f: F) -> Offload<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match self.try_offload(f) {
            Ok(job) => job,
            Err(full) => self.offload_when_room(full.into_inner(), None),
        }
    }

    /// Runs `f` on the pool if the queue has room now, or hands it back.
    ///
    /// On an unbounded pool it always succeeds.
    ///
    /// # Errors
    ///
    /// [`TryOffloadError`] with the closure when the queue is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::offload::CpuPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = CpuPool::builder().threads(1).queue_capacity(8).build().unwrap();
    /// let job = pool.try_offload(|| 6 * 7).unwrap();
    /// assert_eq!(job.await.unwrap(), 42);
    /// # }
    /// ```
    pub fn try_offload<F, R>(&self, f: F) -> Result<Offload<R>, TryOffloadError<F>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let permit = match &self.inner.queue {
            None => None,
            Some((slots, _)) => match Arc::clone(slots).try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => return Err(TryOffloadError::new(f)),
            },
        };
        Ok(Offload::submitted(self.submit(permit, f), None))
    }

    /// Runs `f` on the pool with a [`CancelFlag`] that is set when the
    /// returned future is dropped, and returns a future of its result.
    ///
    /// The rules of [`offload`](Self::offload) apply. A deadline is a
    /// timeout around the future: when it fires, the future is dropped and
    /// the flag set, so a closure that checks the flag stops early.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the job starts skips the job; dropping it
    /// later sets the flag and loses the result.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::offload::CpuPool;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let pool = CpuPool::builder().threads(1).build().unwrap();
    /// let (started_tx, started_rx) = std::sync::mpsc::channel();
    /// let (done_tx, done_rx) = std::sync::mpsc::channel();
    /// let search = pool.offload_with(move |cancel| {
    ///     started_tx.send(()).unwrap();
    ///     // Searches for ever, unless told to stop.
    ///     while !cancel.is_cancelled() {
    ///         std::hint::spin_loop();
    ///     }
    ///     done_tx.send("stopped early").unwrap();
    /// });
    /// started_rx.recv().unwrap();
    /// assert!(async_kit::time::timeout(Duration::from_secs(1), search).await.is_err());
    /// assert_eq!(done_rx.recv().unwrap(), "stopped early");
    /// # }
    /// ```
    pub fn offload_with<F, R>(&self, f: F) -> Offload<R>
    where
        F: FnOnce(&CancelFlag) -> R + Send + 'static,
        R: Send + 'static,
    {
        let cancel = CancelFlag::new();
        let flag = cancel.clone();
        let job = move || f(&flag);
        let permit = match &self.inner.queue {
            None => None,
            Some((slots, _)) => match Arc::clone(slots).try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => return self.offload_when_room(job, Some(cancel)),
            },
        };
        Offload::submitted(self.submit(permit, job), Some(cancel))
    }

    /// Maps `f` over `items` in parallel on the pool, and returns a future of
    /// the results in input order.
    ///
    /// The items are collected into a `Vec` on the caller's thread (a `Vec`
    /// is reused, not copied), then one job splits them into chunks across
    /// the pool's threads with rayon's adaptive splitting, as
    /// `par_iter().map(f).collect()` does. The whole batch counts as one job
    /// in the pool's queue and [`Figures`]. If `f` panics on any item, the
    /// batch ends with an [`OffloadError`] carrying that panic.
    ///
    /// Dropping the future stops the batch: before it starts, it is skipped;
    /// once it runs, each item checks a flag first (one relaxed load), so
    /// the items not yet begun are skipped and the pool is free again after
    /// the items in progress.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future loses the results and stops the batch.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::offload::CpuPool;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let pool = CpuPool::builder().threads(2).build().unwrap();
    /// let squares = pool.par_map(1..=5_u64, |n| n * n).await.unwrap();
    /// assert_eq!(squares, [1, 4, 9, 16, 25]);
    /// # }
    /// ```
    pub fn par_map<I, F, R>(&self, items: I, f: F) -> Offload<Vec<R>>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> R + Send + Sync + 'static,
        R: Send + 'static,
    {
        let items: Vec<I::Item> = items.into_iter().collect();
        // Runs inside a job of this pool, so rayon splits over its threads.
        // Each item first checks the flag: a dropped future stops the batch
        // within one item per thread.
        self.offload_with(move |cancel| {
            items
                .into_par_iter()
                .map(|item| (!cancel.is_cancelled()).then(|| f(item)))
                .collect::<Option<Vec<R>>>()
                .unwrap_or_default()
        })
    }

    fn offload_when_room<F, R>(&self, f: F, cancel: Option<CancelFlag>) -> Offload<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let pool = self.clone();
        let slots = self
            .inner
            .queue
            .as_ref()
            .map(|(slots, _)| Arc::clone(slots))
            .expect("only a bounded queue can be full");
        Offload::waiting(
            // Yields the receiver on purpose: `Offload` polls it next.
            #[allow(clippy::async_yields_async)]
            Box::pin(async move {
                let permit = slots
                    .acquire_owned()
                    .await
                    .expect("the queue's semaphore is never closed");
                pool.submit(Some(permit), f)
            }),
            cancel,
        )
    }

    fn submit<F, R>(
        &self,
        permit: Option<OwnedSemaphorePermit>,
        f: F,
    ) -> oneshot::Receiver<Outcome<R>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.inner.counters.submitted();
        // rayon keeps the pool's threads until every spawned job has run, so
        // the job needs no handle to the pool: it runs (or is skipped) even
        // when the last `CpuPool` is dropped meanwhile.
        self.inner.pool.spawn(move || {
            let skip = tx.is_closed();
            Counters::on_worker(|counters| {
                if skip {
                    counters.skipped();
                } else {
                    counters.started();
                }
            });
            // The job leaves the queue as it starts, after the figures say
            // so: `queued` never shows more jobs than the queue's capacity.
            drop(permit);
            if skip {
                return;
            }
            let outcome = catch_unwind(AssertUnwindSafe(f));
            Counters::on_worker(|counters| counters.finished(outcome.is_err()));
            // The future may be gone by now; then the result is dropped.
            let _ = tx.send(outcome.map_err(OffloadError::panicked));
        });
        rx
    }
}

impl fmt::Debug for CpuPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CpuPool")
            .field("name", &self.name())
            .field("threads", &self.threads())
            .field("queue_capacity", &self.queue_capacity())
            .field("figures", &self.figures())
            .finish()
    }
}
