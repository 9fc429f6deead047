//! CPU offload against its peers, interleaved in the same run:
//!
//! - 10,000 jobs of about 1 µs each: `offload` against
//!   `tokio::task::spawn_blocking` (default, and capped at 4 threads) and a
//!   raw `rayon::spawn` + oneshot (and the same work inline, for scale);
//! - `par_map` against rayon's `par_iter` on the same batch;
//! - two 200 ms jobs through `offload` against the ideal wall time (one
//!   job's time, as two cores run both at once);
//! - the slow-poll detector's cost per poll when nothing is slow.
//!
//! `ASYNC_KIT_BENCH_QUICK=1 cargo bench -p async-kit-benches --bench offload`

mod harness;

use std::hint::black_box;
use std::time::{Duration, Instant};

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use async_kit::debug::WarnSlowExt;
use harness::{Case, compare, quick, runtimes};
use rayon::iter::{IntoParallelIterator, ParallelIterator};

const JOBS: u64 = 10_000;

/// A CPU job of `steps` steps the optimiser cannot fold.
fn work(steps: u64) -> u64 {
    let mut acc = 0_u64;
    for i in 0..steps {
        acc = black_box(acc.wrapping_add(black_box(i)));
    }
    acc
}

/// The number of steps that `work` takes `target` to run: the median of a
/// few tries, as the machine's speed drifts.
fn calibrate(target: Duration) -> u64 {
    let mut tries: Vec<u64> = (0..5).map(|_| calibrate_once(target)).collect();
    tries.sort_unstable();
    tries[tries.len() / 2]
}

fn calibrate_once(target: Duration) -> u64 {
    let mut steps = 1_000;
    loop {
        let rounds = 50;
        let start = Instant::now();
        for _ in 0..rounds {
            black_box(work(steps));
        }
        let per_job = start.elapsed() / rounds;
        if per_job >= Duration::from_micros(100) || steps >= 1 << 32 {
            let scale = target.as_secs_f64() / per_job.as_secs_f64();
            return ((steps as f64 * scale) as u64).max(1);
        }
        steps *= 4;
    }
}

fn main() {
    let micro = calibrate(Duration::from_micros(1));
    let long = calibrate(Duration::from_millis(200));
    println!("work: {micro} steps per 1 µs job, {long} steps per 200 ms job");

    // tokio's blocking pool capped at 4 threads, as some users configure it
    // for CPU work; its jobs are awaited from the runtime under test.
    let capped = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(4)
        .build()
        .expect("capped runtime");
    let capped = capped.handle();

    for (rt_name, rt) in runtimes() {
        let rt = &rt;
        compare(
            &format!("offload 10k x 1µs [{rt_name}]"),
            vec![
                Case::batch("offload", JOBS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let jobs: Vec<_> = (0..JOBS)
                            .map(|_| async_kit::offload(move || work(micro)))
                            .collect();
                        for job in jobs {
                            black_box(job.await.unwrap());
                        }
                        start.elapsed()
                    })
                }),
                Case::batch("spawn_blocking", JOBS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let jobs: Vec<_> = (0..JOBS)
                            .map(|_| tokio::task::spawn_blocking(move || work(micro)))
                            .collect();
                        for job in jobs {
                            black_box(job.await.unwrap());
                        }
                        start.elapsed()
                    })
                }),
                Case::batch("spawn_blocking (4 threads)", JOBS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let jobs: Vec<_> = (0..JOBS)
                            .map(|_| capped.spawn_blocking(move || work(micro)))
                            .collect();
                        for job in jobs {
                            black_box(job.await.unwrap());
                        }
                        start.elapsed()
                    })
                }),
                Case::batch("rayon::spawn + oneshot", JOBS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let jobs: Vec<_> = (0..JOBS)
                            .map(|_| {
                                let (tx, rx) = tokio::sync::oneshot::channel();
                                rayon::spawn(move || {
                                    let _ = tx.send(work(micro));
                                });
                                rx
                            })
                            .collect();
                        for job in jobs {
                            black_box(job.await.unwrap());
                        }
                        start.elapsed()
                    })
                }),
                Case::batch("inline", JOBS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        for _ in 0..JOBS {
                            black_box(work(micro));
                        }
                        start.elapsed()
                    })
                }),
            ],
        );

        compare(
            &format!("par_map 10k x 1µs [{rt_name}]"),
            vec![
                Case::batch("par_map", JOBS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let out = async_kit::par_map(0..JOBS, move |i| work(micro) ^ i).await;
                        black_box(out.unwrap());
                        start.elapsed()
                    })
                }),
                Case::batch("par_iter", JOBS, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        let out: Vec<u64> = (0..JOBS)
                            .into_par_iter()
                            .map(move |i| work(micro) ^ i)
                            .collect();
                        black_box(out);
                        start.elapsed()
                    })
                }),
            ],
        );

        two_long_jobs(rt_name, rt, long);
    }

    // Polls are timed by hand with a no-op waker: no runtime is involved, so
    // the difference is the detector alone.
    compare(
        "slow-poll detector, per poll",
        vec![
            Case::iter("warn_slow_polls", |n| {
                poll_times(n, |fut| fut.warn_slow_polls(Duration::from_millis(50)))
            }),
            Case::iter("bare future", |n| poll_times(n, |fut| fut)),
        ],
    );
}

/// Polls a future that is pending `n - 1` times, then ready, `n` times in
/// all; `wrap` puts the wrapper under test around it.
fn poll_times<F: Future<Output = u64>>(n: u64, wrap: impl FnOnce(CountDown) -> F) -> Duration {
    let mut fut = pin!(wrap(CountDown(n)));
    let mut cx = Context::from_waker(Waker::noop());
    let start = Instant::now();
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            black_box(out);
            break;
        }
    }
    start.elapsed()
}

/// Ready at its `n`th poll.
struct CountDown(u64);

impl Future for CountDown {
    type Output = u64;

    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u64> {
        self.0 = black_box(self.0.saturating_sub(1));
        if self.0 == 0 {
            Poll::Ready(self.0)
        } else {
            Poll::Pending
        }
    }
}

/// Two 200 ms jobs through `offload` at once against one job's wall time
/// (the ideal on two cores), interleaved round by round. Two plain threads
/// doing the same show what the machine allowed at the time: on a shared
/// machine, another process may hold a core.
fn two_long_jobs(rt_name: &str, rt: &tokio::runtime::Runtime, steps: u64) {
    let rounds = if quick() { 3 } else { 9 };
    let mut ratios = Vec::with_capacity(rounds);
    let mut thread_ratios = Vec::with_capacity(rounds);
    let mut pair_vs_threads = Vec::with_capacity(rounds);
    let (mut pairs, mut ones) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let pair = rt.block_on(async {
            let start = Instant::now();
            let (a, b) = tokio::join!(
                async_kit::offload(move || work(steps)),
                async_kit::offload(move || work(steps)),
            );
            black_box((a.unwrap(), b.unwrap()));
            start.elapsed()
        });
        let one = harness::time(|| {
            black_box(work(steps));
        });
        let threads = harness::time(|| {
            let other = std::thread::spawn(move || black_box(work(steps)));
            black_box(work(steps));
            other.join().unwrap();
        });
        ratios.push(pair.as_secs_f64() / one.as_secs_f64());
        thread_ratios.push(threads.as_secs_f64() / one.as_secs_f64());
        pair_vs_threads.push(pair.as_secs_f64() / threads.as_secs_f64());
        pairs.push(pair.as_secs_f64() * 1e3);
        ones.push(one.as_secs_f64() * 1e3);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "two 200 ms jobs [{rt_name}]: offload pair vs one job inline = {:.2} ({:.0} ms vs {:.0} ms; \
         two plain threads vs one job = {:.2}; offload pair vs two plain threads = {:.2})",
        median(ratios),
        median(pairs),
        median(ones),
        median(thread_ratios),
        median(pair_vs_threads),
    );
}
