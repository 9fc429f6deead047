//! `rate::RateLimiter` and `KeyedRateLimiter` against governor used
//! directly: the cost of our wrapper (tokio's clock, the error, the keyed
//! sweeps).
//!
//! `cargo bench -p async-kit-benches --bench rate`

mod harness;

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_kit::rate::{KeyedRateLimiter, Rate, RateLimiter};
use governor::clock::MonotonicClock;
use governor::{Quota, RateLimiter as Governor};
use harness::{Case, compare, time};

/// Fast enough that every check is admitted (one permit per nanosecond,
/// a burst of a billion).
fn open_rate() -> (Rate, Quota) {
    let burst = 1_000_000_000;
    let rate = Rate::new(burst, Duration::from_secs(1));
    let quota = Quota::per_second(NonZeroU32::new(burst).unwrap());
    (rate, quota)
}

/// So slow that every check after the first is refused.
fn closed_rate() -> (Rate, Quota) {
    (
        Rate::new(1, Duration::from_secs(3600)),
        Quota::per_hour(NonZeroU32::new(1).unwrap()),
    )
}

fn direct(name: &str, (rate, quota): (Rate, Quota)) {
    let ours = RateLimiter::new(rate);
    let theirs = Governor::direct(quota);
    let theirs_std = Governor::direct_with_clock(quota, MonotonicClock);
    compare(
        name,
        vec![
            Case::iter("RateLimiter::try_acquire", |n| {
                time(|| {
                    for _ in 0..n {
                        black_box(ours.try_acquire().is_ok());
                    }
                })
            }),
            Case::iter("governor check (quanta)", |n| {
                time(|| {
                    for _ in 0..n {
                        black_box(theirs.check().is_ok());
                    }
                })
            }),
            Case::iter("governor check (std clock)", |n| {
                time(|| {
                    for _ in 0..n {
                        black_box(theirs_std.check().is_ok());
                    }
                })
            }),
        ],
    );
}

/// Two threads checking one shared limiter, `per_thread` checks each.
fn contended(per_thread: u64) {
    let (rate, quota) = open_rate();
    let ours = RateLimiter::new(rate);
    let theirs = Arc::new(Governor::direct(quota));
    let two = |f: &(dyn Fn() + Sync)| {
        let start = Instant::now();
        std::thread::scope(|s| {
            s.spawn(f);
            s.spawn(f);
        });
        start.elapsed()
    };
    compare(
        "rate contended (2 threads)",
        vec![
            Case::batch("RateLimiter::try_acquire", 2 * per_thread, || {
                two(&|| {
                    for _ in 0..per_thread {
                        black_box(ours.try_acquire().is_ok());
                    }
                })
            }),
            Case::batch("governor check (quanta)", 2 * per_thread, || {
                two(&|| {
                    for _ in 0..per_thread {
                        black_box(theirs.check().is_ok());
                    }
                })
            }),
        ],
    );
}

/// Checks over `keys` keys, round robin, at `(rate, quota)`: with the open
/// rate every key is idle again at once, so each sweep drops them all and
/// they come back (the worst case of eviction); with a per-second rate the
/// keys stay busy between sweeps and are kept.
fn keyed(name: &str, keys: u64, (rate, quota): (Rate, Quota)) {
    let ours = KeyedRateLimiter::new(rate);
    let dashmap = Governor::keyed(quota);
    let hashmap = Governor::hashmap(quota);
    let hashmap_std = Governor::hashmap_with_clock(quota, MonotonicClock);
    let mut k = (0u64, 0u64, 0u64, 0u64);
    compare(
        &format!("rate keyed ({keys} {name} keys)"),
        vec![
            Case::iter("KeyedRateLimiter::try_acquire", |n| {
                time(|| {
                    for _ in 0..n {
                        k.0 = (k.0 + 1) % keys;
                        black_box(ours.try_acquire(&k.0).is_ok());
                    }
                })
            }),
            Case::iter("governor keyed (dashmap)", |n| {
                time(|| {
                    for _ in 0..n {
                        k.1 = (k.1 + 1) % keys;
                        black_box(dashmap.check_key(&k.1).is_ok());
                    }
                })
            }),
            Case::iter("governor keyed (hashmap)", |n| {
                time(|| {
                    for _ in 0..n {
                        k.2 = (k.2 + 1) % keys;
                        black_box(hashmap.check_key(&k.2).is_ok());
                    }
                })
            }),
            Case::iter("governor keyed (hashmap, std clock)", |n| {
                time(|| {
                    for _ in 0..n {
                        k.3 = (k.3 + 1) % keys;
                        black_box(hashmap_std.check_key(&k.3).is_ok());
                    }
                })
            }),
        ],
    );
}

fn main() {
    // A runtime is entered so tokio's clock is the one a user would have.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = rt.enter();
    direct("rate admitted", open_rate());
    direct("rate refused", closed_rate());
    contended(if harness::quick() { 20_000 } else { 200_000 });
    keyed("idle", 1_000, open_rate());
    keyed(
        "busy",
        1_000,
        (
            Rate::per_second(10).burst(1_000_000_000),
            Quota::per_second(NonZeroU32::new(10).unwrap())
                .allow_burst(NonZeroU32::new(1_000_000_000).unwrap()),
        ),
    );
}
