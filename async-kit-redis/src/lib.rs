//! async-kit's producer/consumer queue and concurrency limiter, shared by
//! every process that talks to the same Redis server.
//!
//! The in-process [`async_kit::Queue`] and [`async_kit::Limiter`] stop at the
//! process boundary. This crate gives the same verbs to a team that has
//! outgrown one process (a second replica, workers on other machines) on the
//! server such teams already run. It is a crate of its own so that a default
//! build of `async-kit` never pulls a Redis client.
//!
//! - [`Redis`]: one connection per process, shared by its queues and
//!   limiters; reconnects after a server restart.
//! - [`RedisQueue`]: `asyncio.Queue` across processes (put / get / task_done
//!   / join / shutdown), bounded across all producers, delivering **at least
//!   once** with a visibility timeout; delayed items (`put_after` /
//!   `put_at`, asyncio's `call_later` / `call_at` kept in Redis);
//!   [`Delivery`], [`DeliveryGuard`].
//! - [`RedisPriorityQueue`]: `asyncio.PriorityQueue` across processes,
//!   smallest priority first and ties first in, first out, on the same
//!   machinery (`put(priority, item)`, delayed items with `put_after(delay,
//!   priority, item)`, the other verbs as [`RedisQueue`]'s).
//! - [`RedisLimiter`]: one concurrency limit for every replica (`run`,
//!   `acquire`, `try_acquire`, `acquire_timeout`, `set_limit`, `in_use`,
//!   [`RedisLimitExt::limited`]); slots are leases renewed while held, so a
//!   dead holder's slot frees itself. [`RedisKeyedLimiter`]: the same per
//!   key (per host), leaving no key in Redis for keys nobody holds.
//! - [`WorkQueue`]: one producer/consumer program on either backend, the
//!   in-process [`async_kit::Queue`] or [`RedisQueue`].
//! - [`Error`]: cannot connect (naming the URL), connection lost, Redis error,
//!   decode failed (with the entry's raw bytes, in a [`DecodeError`]).
//!
//! # Examples
//!
//! ```no_run
//! use async_kit_redis::Redis;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), async_kit_redis::Error> {
//! let redis = Redis::connect("redis://127.0.0.1:6379").await?;
//! # let _ = redis;
//! # Ok(())
//! # }
//! ```
//!
//! # Testing
//!
//! The tests start their own `redis-server` (Debian's `redis-server`
//! package) on a free loopback port; `scripts/test.sh` at the workspace root
//! installs it when it is missing.

#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
mod client;
mod error;
mod events;
mod limiter;
mod queue;

pub use backend::WorkQueue;
pub use client::Redis;
pub use error::{DecodeError, Error};
pub use limiter::{
    RedisKeyedLimiter, RedisLimitExt, RedisLimiter, RedisLimiterBuilder, RedisPermit,
};
pub use queue::{
    Delivery, DeliveryGuard, PutError, RedisPriorityQueue, RedisQueue, RedisQueueBuilder,
};
