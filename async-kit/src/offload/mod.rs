//! CPU offload: run CPU-bound closures on a pool of CPU threads, and
//! blocking I/O on tokio's blocking pool, each under its own name.
//!
//! A CPU-bound computation inside a task never yields, so it starves every
//! other task of its worker (on a current-thread runtime, all of them).
//! [`offload`] moves it to a [`CpuPool`] (rayon threads, one per core) and
//! returns a future of its result; the task waits without blocking its
//! worker. [`offload_with`] hands the closure a [`CancelFlag`] so long work
//! can stop early when the caller gives up, and [`par_map`] splits a batch
//! across the pool, results in input order. [`offload_blocking`] is for
//! blocking I/O.
//!
//! A panic in a job never aborts the process: it comes back as an
//! [`OffloadError`] that carries the payload. Dropping a job's future before
//! the job starts skips it.
//!
//! # Examples
//!
//! ```
//! use async_kit::offload::{offload, par_map};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let primes = offload(|| (2..10_000_u32).filter(|n| (2..*n).all(|d| n % d != 0)).count());
//! let lengths = par_map(vec!["a", "bb", "ccc"], str::len);
//! assert_eq!(primes.await.unwrap(), 1229);
//! assert_eq!(lengths.await.unwrap(), [1, 2, 3]);
//! # }
//! ```

mod blocking;
mod error;

pub use blocking::offload_blocking;
pub use error::OffloadError;
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
pub use error::TryOffloadError;

#[cfg(feature = "rayon")]
mod builder;
#[cfg(feature = "rayon")]
mod cancel;
#[cfg(feature = "rayon")]
mod figures;
#[cfg(feature = "rayon")]
#[allow(clippy::module_inception)]
mod offload;
#[cfg(feature = "rayon")]
mod pool;

#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
pub use builder::Builder;
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
pub use cancel::CancelFlag;
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
pub use figures::Figures;
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
pub use offload::Offload;
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
pub use pool::CpuPool;

/// Runs the CPU-bound `f` on the [global](CpuPool::global) [`CpuPool`], and
/// returns a future of its result.
///
/// The job is submitted at once. A panic in `f` comes back as an
/// [`OffloadError`] carrying the payload. Dropping the future before the job
/// has started skips the job; once it runs, it runs to its end and its
/// result is dropped (use [`offload_with`] for work that should stop).
///
/// # Panics
///
/// Panics if the global pool has to be built and its threads cannot be
/// started.
///
/// # Cancel safety
///
/// Dropping the future before the job starts skips the job; dropping it
/// later loses the result.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sum = async_kit::offload::offload(|| (1..=1_000_u64).sum::<u64>()).await;
/// assert_eq!(sum.unwrap(), 500_500);
/// # }
/// ```
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
#[track_caller]
pub fn offload<F, R>(f: F) -> Offload<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    CpuPool::global().offload(f)
}

/// Runs the CPU-bound `f` on the [global](CpuPool::global) [`CpuPool`] with
/// a [`CancelFlag`], set when the returned future is dropped.
///
/// See [`CpuPool::offload_with`]. A deadline is a timeout around the future:
/// when it fires, the future is dropped and the flag is set.
///
/// # Panics
///
/// As for [`offload`].
///
/// # Cancel safety
///
/// Dropping the future before the job starts skips the job; dropping it
/// later sets the flag and loses the result.
///
/// # Examples
///
/// ```
/// use async_kit::offload::offload_with;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let count = offload_with(|cancel| {
///     (0..1_000_u32).take_while(|_| !cancel.is_cancelled()).count()
/// });
/// assert_eq!(count.await.unwrap(), 1_000);
/// # }
/// ```
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
#[track_caller]
pub fn offload_with<F, R>(f: F) -> Offload<R>
where
    F: FnOnce(&CancelFlag) -> R + Send + 'static,
    R: Send + 'static,
{
    CpuPool::global().offload_with(f)
}

/// Maps `f` over `items` in parallel on the [global](CpuPool::global)
/// [`CpuPool`], and returns a future of the results in input order.
///
/// See [`CpuPool::par_map`]: the items are split across the pool's threads,
/// a panic comes back as an [`OffloadError`], and dropping the future skips
/// the items not yet begun.
///
/// # Panics
///
/// As for [`offload`].
///
/// # Cancel safety
///
/// Dropping the future loses the results and stops the batch.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let words = vec!["tokio", "rayon", "asyncio"];
/// let upper = async_kit::offload::par_map(words, str::to_uppercase).await.unwrap();
/// assert_eq!(upper, ["TOKIO", "RAYON", "ASYNCIO"]);
/// # }
/// ```
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
#[track_caller]
pub fn par_map<I, F, R>(items: I, f: F) -> Offload<Vec<R>>
where
    I: IntoIterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    CpuPool::global().par_map(items, f)
}
