//! Rate limits: how often something may start, where [`sync`](crate::sync)
//! limits how much runs at once.
//!
//! A [`RateLimiter`] admits `n` per period with a burst (the GCRA of the
//! `governor` crate, which does the arithmetic); [`KeyedRateLimiter`] keeps
//! one such limit per key (per host) and forgets idle keys, so its memory
//! stays bounded however many keys pass; [`Throttle`] enforces a rate and a
//! concurrency limit ([`Limiter`](crate::Limiter)) in one call, as a
//! fetcher needs. All of them read tokio's clock, so tests pause and advance
//! it, and all are handles: clones share one limit.
//!
//! # Fairness
//!
//! Waiting for the rate is not first-come-first-served: a waiter sleeps
//! until the instant the limiter named, then tries again, and whoever tries
//! first after that instant wins. Under steady overload every waiter still
//! gets through, in roughly the order it arrived, but no order is promised.
//! [`Throttle`] takes its concurrency permit first, and that queue is fair.

mod clock;
mod error;
mod keyed;
mod limited;
mod limiter;
mod quota;
mod throttle;

pub use error::RateLimited;
pub use keyed::KeyedRateLimiter;
pub use limited::{Paced, RateLimitExt};
pub use limiter::RateLimiter;
pub use quota::Rate;
pub use throttle::Throttle;
