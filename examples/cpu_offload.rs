//! CPU-bound work in async code: inline it starves every other task, through
//! `offload` it does not, `par_map` splits a batch across the cores, and
//! `warn_slow_polls` names the task that blocked its worker.
//!
//! Recreates the tutorial's lesson on CPU-bound coroutines: a coroutine that
//! computes never yields, so the event loop (here tokio's current-thread
//! runtime) runs nothing else until it ends; asyncio's cure is
//! `loop.run_in_executor(executor, f)`.
//!
//! Run it with `cargo run --example cpu_offload` (`--help` for the flags).
//! It takes about two seconds.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_kit::CpuPool;
use async_kit::debug::WarnSlowExt;
use async_kit_examples::cli::{Args, parse_duration};
use tokio::time::MissedTickBehavior;

const USAGE: &str = "\
usage: cpu_offload [--work 300ms] [--tick 50ms] [--items 16]

  --work D   length of the CPU-bound job (default 300ms)
  --tick D   period of the ticker task (default 50ms)
  --items N  items in the par_map batch, each a job of a tenth of --work (default 16)";

/// Computes for `length` without yielding: the CPU-bound coroutine.
fn burn(length: Duration) -> u64 {
    let start = Instant::now();
    let mut acc = 0_u64;
    while start.elapsed() < length {
        for i in 0..1_000 {
            acc = black_box(acc.wrapping_add(i));
        }
    }
    acc
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (mut work, mut tick, mut items) =
        (Duration::from_millis(300), Duration::from_millis(50), 16);
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            lexopt::Arg::Long("work") => work = args.value_with(parse_duration),
            lexopt::Arg::Long("tick") => tick = args.value_with(parse_duration),
            lexopt::Arg::Long("items") => items = args.value(),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    let expected = work.as_millis() / tick.as_millis().max(1);

    // A task that should tick every `tick`: it shows whether the runtime's
    // only thread is free.
    let ticks = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&ticks);
    let ticker = tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    tokio::task::yield_now().await;

    println!("== 1. inline: the job runs on the runtime's only thread");
    let before = ticks.load(Ordering::Relaxed);
    // `warn_slow_polls` reports the poll that blocked the thread, by name:
    // what asyncio's debug mode prints as "Executing <Task ...> took 0.3 s".
    async { burn(work) }
        .warn_slow_polls(Duration::from_millis(100))
        .named("inline burn")
        .on_slow_poll(|slow| println!("warn_slow_polls: {slow}"))
        .await;
    let inline = ticks.load(Ordering::Relaxed) - before;
    println!(
        "the ticker ticked {inline} times during the {work:?} job (it should have ticked about {expected})\n"
    );
    // Let the ticker catch up before the next measure.
    tokio::time::sleep(tick).await;

    println!("== 2. offload: the job runs on the CPU pool");
    let before = ticks.load(Ordering::Relaxed);
    // The job moves to a pool thread; this task waits without holding the
    // runtime's thread, so the ticker runs.
    async_kit::offload(move || burn(work))
        .await
        .expect("the job does not panic");
    let offloaded = ticks.load(Ordering::Relaxed) - before;
    println!(
        "the ticker ticked {offloaded} times during the {work:?} job (about {expected} expected)\n"
    );

    println!("== 3. par_map: a batch of {items} jobs across the CPU pool");
    let piece = work / 10;
    let start = Instant::now();
    // One after another, on one pool thread.
    async_kit::offload(move || (0..items).map(|_| burn(piece)).collect::<Vec<_>>())
        .await
        .expect("the jobs do not panic");
    let one_thread = start.elapsed();
    let start = Instant::now();
    // The same batch split across the pool's threads, results in order.
    let results = async_kit::par_map(0..items, move |_| burn(piece))
        .await
        .expect("the jobs do not panic");
    let parallel = start.elapsed();
    let threads = CpuPool::global().threads();
    println!(
        "{} results: one thread {one_thread:.2?}, par_map on {threads} threads {parallel:.2?} ({:.1}x)\n",
        results.len(),
        one_thread.as_secs_f64() / parallel.as_secs_f64().max(f64::EPSILON)
    );

    println!("== summary");
    println!(
        "ticks during the job: inline {inline}, offload {offloaded} (expected about {expected})"
    );
    println!("pool figures: {:?}", CpuPool::global().figures());
    ticker.abort();
}
