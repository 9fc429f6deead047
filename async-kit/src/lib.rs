//! The patterns of the classic asyncio tutorials, for tokio.
//!
//! Each part is small, documented with its cancel safety, and measured
//! against what a tokio user would otherwise write by hand:
//!
//! - [`#[timeout]`](timeout): an attribute that bounds an `async fn`'s run
//!   time, the tutorial's timeout decorator. Deadlines propagate: a bounded
//!   fn called from another never waits past its caller's budget, and
//!   [`deadline`] / [`remaining`] tell any code how much time it has left.
//! - [`time`]: the functions behind the attribute, [`time::timeout`] and
//!   [`time::timeout_at`].
//! - [`sync`] and [`task`]: concurrency control. [`Limiter`] (a resizable
//!   fair semaphore, `fut.limited(&limiter)`), [`KeyedLimiter`] (a limit per
//!   key), and [`TaskPool`] (a bounded pool of tasks with backpressure,
//!   panic isolation, figures, `map` and a graceful shutdown).
//! - [`future`] and [`task`]'s callbacks and groups: [`CompletionExt`]
//!   (`on_complete`, `on_cancel`, `on_done`) for any future, task handles
//!   that take done callbacks after spawning ([`task::spawn`],
//!   [`task::JoinHandleExt`]), and [`task::wait`], [`task::as_completed`],
//!   [`task::gather`], [`task::try_gather`] for groups of tasks.
//! - Structured concurrency: [`TaskGroup`] (asyncio's `TaskGroup`, with
//!   [`task::scope`] and [`task::supervisor_scope`]): children that end
//!   together, fail fast with every error kept or supervised, a limit, a
//!   cancellation tree across nested groups, and deadlines that cross
//!   spawn.
//! - [timers](time::call_later): asyncio's [`call_soon`](time::call_soon),
//!   [`call_later`](time::call_later) and [`call_at`](time::call_at), each
//!   returning a [`TimerHandle`] that cancels or moves the callback from any
//!   thread; [`time::call_every`]; and a [`Scheduler`] that cancels all its
//!   timers when dropped.
//! - [`retry`](mod@retry) and [`rate`]: a failing call tried again with
//!   backoff ([`retry::retry`], the [`#[retry]`](macro@retry) attribute), never
//!   past the caller's deadline and within a shared [`retry::Budget`]; and
//!   rate limits ([`rate::RateLimiter`], per key [`rate::KeyedRateLimiter`],
//!   and [`rate::Throttle`] for a rate and a concurrency limit together).
//! - [`queue`]: producer/consumer queues with asyncio's `task_done` /
//!   `join`: [`Queue`], [`PriorityQueue`] and [`LifoQueue`], bounded or
//!   not, with Python 3.13's shutdown.
//! - [`offload`](mod@offload): CPU-bound closures on a [`CpuPool`] of rayon
//!   threads ([`offload()`], [`offload_with`] with a cancel flag,
//!   [`par_map`]), blocking I/O on tokio's blocking pool
//!   ([`offload_blocking`]); panics come back as errors.
//! - [`bridge`]: a [`BackgroundRuntime`] on threads of its own, to which
//!   plain threads submit futures and wait for them (with a timeout), or
//!   cancel them; shut down with a deadline and a report.
//! - [`debug`](mod@debug): [`fut.warn_slow_polls(threshold)`](debug::WarnSlowExt)
//!   names the future whose poll blocked its worker, and for how long.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use async_kit::{Elapsed, timeout};
//!
//! #[timeout(2s)]
//! async fn fetch(delay: u64) -> u64 {
//!     tokio::time::sleep(Duration::from_secs(delay)).await;
//!     delay
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! assert_eq!(fetch(1).await, Ok(1));
//! let err: Elapsed = fetch(5).await.unwrap_err();
//! assert_eq!(err.to_string(), "deadline has elapsed");
//! # }
//! ```
//!
//! # Feature flags
//!
//! - `macros` (default): the [`#[timeout]`](timeout) and [`#[retry]`](macro@retry)
//!   attributes.
//! - `rayon` (default): the CPU pools of [`offload`](mod@offload).
//! - `rate` (default): the rate limiters of [`rate`], on the `governor`
//!   crate.
//! - `tracing`: slow polls are also reported with `tracing::warn!`.
//! - `full`: every optional part.
//!
//! # Cancel safety
//!
//! Every async method documents what dropping its future loses, in tokio's
//! words. A timeout drops the future it bounds when the deadline passes, so
//! it is as cancel safe as that future. A queue's gets are cancel safe (a
//! cancelled get loses no item and passes its wake-up on); a cancelled put
//! drops its item, so [`Queue::reserve`] a slot first where that matters.
//!
//! # asyncio → async-kit
//!
//! | asyncio | async-kit |
//! |---|---|
//! | a `@timeout(seconds)` decorator around `asyncio.wait_for` | [`#[timeout(2s)]`](timeout) |
//! | `asyncio.wait_for(aw, timeout)` | [`time::timeout`] |
//! | `asyncio.timeout_at(when)` | [`time::timeout_at`] |
//! | `asyncio.Timeout.when()` | [`deadline`], [`remaining`] |
//! | `fut.add_done_callback(cb)` on a coroutine | [`CompletionExt::on_done`], [`on_complete`](CompletionExt::on_complete), [`on_cancel`](CompletionExt::on_cancel) |
//! | `task.add_done_callback(cb)`, `remove_done_callback` | [`task::spawn`] / [`task::JoinHandleExt::with_callbacks`], then [`task::CallbackHandle::add_done_callback`] |
//! | `asyncio.wait(tasks, timeout, return_when)` | [`task::wait`] with [`task::ReturnWhen`] |
//! | `asyncio.as_completed(tasks, timeout)` | [`task::as_completed`] |
//! | `asyncio.gather(*aws)` | [`task::gather`], [`task::try_gather`] (fail-fast) |
//! | `loop.call_soon(cb)` / `loop.call_later(delay, cb)` / `loop.call_at(when, cb)` | [`time::call_soon`] / [`time::call_later`] / [`time::call_at`] |
//! | `TimerHandle.cancel()`, `.cancelled()`, `.when()` | [`TimerHandle::cancel`], [`TimerHandle::is_cancelled`], [`TimerHandle::when`] |
//! | `loop.call_later(delay, asyncio.create_task, coro)` | [`time::spawn_later`] |
//! | `asyncio.Queue(maxsize)` | [`Queue::bounded`], [`Queue::unbounded`] |
//! | `asyncio.PriorityQueue`, `asyncio.LifoQueue` | [`PriorityQueue`], [`LifoQueue`] |
//! | `queue.put(x)`, `queue.put_nowait(x)` | [`Queue::put`], [`Queue::try_put`] |
//! | `queue.get()`, `queue.get_nowait()` | [`Queue::get`], [`Queue::try_get`] |
//! | `queue.task_done()`, `queue.join()` | [`Queue::task_done`], [`Queue::join`] |
//! | `queue.shutdown(immediate=False / True)` | [`Queue::shutdown`], [`Queue::shutdown_immediate`] |
//! | `loop.run_in_executor(ProcessPoolExecutor(), f)` | [`offload(f)`](offload()), [`CpuPool::offload`] |
//! | `loop.run_in_executor(None, f)` (blocking I/O) | [`offload_blocking(f)`](offload_blocking) |
//! | `executor.map(f, items)` | [`par_map(items, f)`](par_map) |
//! | `asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)` | [`BackgroundRuntime::submit`], [`Submission::wait_timeout`](bridge::Submission::wait_timeout) |
//! | debug mode's `Executing <Task …> took 0.2 seconds` | [`fut.warn_slow_polls(d)`](debug::WarnSlowExt::warn_slow_polls) |
//! | a retry loop with `await asyncio.sleep(backoff)` between tries (or `tenacity`'s `@retry`) | [`#[retry(attempts = 3, backoff = exponential(100ms))]`](macro@retry), [`retry::retry`] |
//! | `aiolimiter.AsyncLimiter(n, period)`: `async with limiter:` | [`rate::RateLimiter::until_ready`], [`rate::RateLimiter::run`], [`rate::KeyedRateLimiter`] per host, [`rate::Throttle`] with a concurrency limit |
//! | `async with asyncio.Semaphore(n):` | [`Limiter::run`], [`Limiter::acquire`] |
//! | a semaphore per host in a dict | [`KeyedLimiter`] |
//! | an `asyncpool` / `asyncio.gather` over a bounded set of tasks | [`TaskPool::spawn`], [`TaskPool::join`] |
//! | `task.add_done_callback(cb)` on a task of a bounded pool | [`TaskHandle::add_done_callback`](task::TaskHandle::add_done_callback), [`remove_done_callback`](task::TaskHandle::remove_done_callback) |
//! | `asyncio.as_completed` over a bounded pool of workers | [`TaskPool::map`] |
//! | `async with asyncio.TaskGroup() as tg: tg.create_task(coro)` | [`task::scope`], or [`TaskGroup::spawn`] then [`TaskGroup::join`] |
//! | the `ExceptionGroup` a `TaskGroup` raises | [`task::GroupError::failures`] (every failure, in order) |
//! | `async with asyncio.timeout(d):` around a `TaskGroup` | children spawned inside [`time::timeout`] inherit its deadline; [`TaskGroup::spawn_detached`] opts out; [`TaskPool::spawn`] passes it on too ([`TaskPool::spawn_detached`]) |
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bridge;
pub mod debug;
pub mod future;
pub mod offload;
mod padded;
pub mod queue;
#[cfg(feature = "rate")]
#[cfg_attr(docsrs, doc(cfg(feature = "rate")))]
pub mod rate;
pub mod retry;
pub mod sync;
pub mod task;
pub mod time;

pub use bridge::BackgroundRuntime;
pub use future::CompletionExt;
#[cfg(feature = "rayon")]
pub use offload::{CpuPool, offload, offload_with, par_map};
pub use offload::{OffloadError, offload_blocking};
pub use queue::{LifoQueue, PriorityQueue, Queue};
pub use sync::{KeyedLimiter, LimitExt, Limiter};
pub use task::{TaskGroup, TaskHandle, TaskPool};
pub use time::{Elapsed, Scheduler, TimerHandle, deadline, remaining};

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
#[doc = include_str!("docs/timeout.md")]
pub use async_kit_macros::timeout;

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
#[doc(inline)]
#[doc = include_str!("docs/retry.md")]
pub use async_kit_macros::retry;

#[doc(hidden)]
pub mod __private;

// The README's examples run as doctests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
