//! A small benchmark harness that interleaves peers, as
//! `../shared/BENCHMARKING.md` asks: every case of a group runs once per
//! round, round after round, so the machine's drift hits all of them alike.
//! It reports the median time per item of each case and the ratio of the
//! first case (ours) to each of the others (lower is better).
//!
//! `ASYNC_KIT_BENCH_QUICK=1` runs fewer, shorter rounds.
//!
//! `ASYNC_KIT_BENCH_ONLY=TEXT` runs only the cases whose `group: case` label
//! contains `TEXT`, once each (a batch once, a micro-operation
//! [`ONLY_ITERS`] times), with no warm-up and no ratio: for counting
//! instructions under `valgrind --tool=callgrind`, where two runs that
//! differ in one case differ by that case's instructions alone
//! (`scripts/callgrind-case.sh`).
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// One contender in a comparison group.
pub struct Case<'a> {
    name: String,
    run: Runner<'a>,
}

enum Runner<'a> {
    /// Runs `iters` iterations of a micro-operation, returns the time taken.
    Iter(Box<dyn FnMut(u64) -> Duration + 'a>),
    /// Runs a fixed batch of `items` items, returns the time taken.
    Batch(u64, Box<dyn FnMut() -> Duration + 'a>),
}

impl<'a> Case<'a> {
    /// A micro-operation: `f(iters)` runs it `iters` times and returns the
    /// time taken (time only the measured loop).
    pub fn iter(name: impl Into<String>, f: impl FnMut(u64) -> Duration + 'a) -> Self {
        Case {
            name: name.into(),
            run: Runner::Iter(Box::new(f)),
        }
    }

    /// A fixed batch: `f()` handles `items` items and returns the time taken.
    pub fn batch(name: impl Into<String>, items: u64, f: impl FnMut() -> Duration + 'a) -> Self {
        Case {
            name: name.into(),
            run: Runner::Batch(items, Box::new(f)),
        }
    }
}

/// Whether the quick mode is on.
pub fn quick() -> bool {
    std::env::var_os("ASYNC_KIT_BENCH_QUICK").is_some_and(|v| v != "0")
}

/// How many times `ASYNC_KIT_BENCH_ONLY` runs a micro-operation.
pub const ONLY_ITERS: u64 = 10_000;

/// Sizes the run: (warm-up rounds, measured rounds, target time of one sample).
fn plan() -> (usize, usize, Duration) {
    if quick() {
        (2, 9, Duration::from_millis(3))
    } else {
        (3, 31, Duration::from_millis(10))
    }
}

/// The result of one case: median nanoseconds per item.
pub struct Outcome {
    pub name: String,
    pub median_ns: f64,
}

/// Runs `cases` interleaved and prints one line per peer:
/// `group: ours vs peer = ratio (x ns vs y ns)`. The first case is ours.
pub fn compare(group: &str, mut cases: Vec<Case<'_>>) -> Vec<Outcome> {
    if let Some(only) = std::env::var_os("ASYNC_KIT_BENCH_ONLY") {
        let only = only.to_string_lossy();
        for case in &mut cases {
            let label = format!("{group}: {}", case.name);
            if label.contains(&*only) {
                let took = match &mut case.run {
                    Runner::Iter(f) => f(ONLY_ITERS),
                    Runner::Batch(_, f) => f(),
                };
                println!("{label}: ran once in {took:?}");
            }
        }
        return Vec::new();
    }
    let (warmup, rounds, target) = plan();
    // Calibrate the iteration count of micro-operations once.
    let mut iters: Vec<u64> = Vec::with_capacity(cases.len());
    for case in &mut cases {
        iters.push(match &mut case.run {
            Runner::Iter(f) => {
                let mut n = 1u64;
                loop {
                    let took = f(n);
                    if took >= target || n >= 1 << 32 {
                        break n;
                    }
                    n = if took.is_zero() {
                        n * 16
                    } else {
                        let scale = target.as_secs_f64() / took.as_secs_f64();
                        ((n as f64 * scale.clamp(1.5, 16.0)) as u64).max(n + 1)
                    };
                }
            }
            Runner::Batch(items, _) => *items,
        });
    }
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..warmup + rounds {
        for (i, case) in cases.iter_mut().enumerate() {
            let (took, n) = match &mut case.run {
                Runner::Iter(f) => (f(iters[i]), iters[i]),
                Runner::Batch(items, f) => (f(), *items),
            };
            if round >= warmup {
                samples[i].push(took.as_nanos() as f64 / n as f64);
            }
        }
    }
    let outcomes: Vec<Outcome> = cases
        .iter()
        .zip(samples)
        .map(|(case, s)| Outcome {
            name: case.name.clone(),
            median_ns: median(s),
        })
        .collect();
    if let Some((ours, peers)) = outcomes.split_first() {
        for peer in peers {
            println!(
                "{group}: {} vs {} = {:.2} ({:.1} ns vs {:.1} ns per item)",
                ours.name,
                peer.name,
                ours.median_ns / peer.median_ns,
                ours.median_ns,
                peer.median_ns,
            );
        }
    }
    outcomes
}

fn median(mut s: Vec<f64>) -> f64 {
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

/// Times `f` once.
pub fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// The two runtimes every comparison runs on: tokio's multi-thread runtime
/// with 2 workers, and the current-thread runtime.
pub fn runtimes() -> [(&'static str, tokio::runtime::Runtime); 2] {
    [
        (
            "mt2",
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("multi-thread runtime"),
        ),
        (
            "ct",
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("current-thread runtime"),
        ),
    ]
}
