//! The tour: the tutorial's story in one run, with no server to start by hand.
//!
//! Starts the `/aio` server in-process on a free port with delays of tens of
//! milliseconds, then fetches from it sequentially, concurrently, under a
//! `#[timeout]`, through a `Limiter` and through a `TaskPool`, and prints
//! each run's timeline and a summary.
//!
//! Run it with `cargo run --example tour`. It exits 0 in a few seconds.

use std::time::Instant;

use async_kit::{LimitExt, Limiter, TaskPool, timeout};
use async_kit_examples::aio::{self, Config, DelayUnit};
use async_kit_examples::fetch;
use futures::StreamExt;

const REQUESTS: usize = 5;
const LIMITED: usize = 8;
const LIMIT: usize = 3;
const POOLED: usize = 12;
const POOL: usize = 4;

/// The tutorial's timeout decorator on a fetcher: a slow answer becomes an
/// error instead of a hang.
#[timeout(250ms)]
async fn fetch_in_time(client: &reqwest::Client, url: &str) -> Result<u64, fetch::Error> {
    fetch::fetch(client, url).await
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config {
        delay: 50..=400,
        unit: DelayUnit::Millis,
        ..Config::default()
    };
    let (addr, _stop) = aio::spawn(config).await?;
    let url = format!("http://{addr}/aio");
    println!("tour: the /aio server runs on {url} (delays of 50 to 400 ms)\n");
    let client = reqwest::Client::new();

    println!("== 1. sequential: one request after another");
    let start = Instant::now();
    let results = fetch::sequential(&client, &url, REQUESTS).await;
    let sequential = start.elapsed();
    let delays = fetch::report("sequential", &results, sequential);
    let sum: u64 = delays.iter().sum();
    println!("the run took {sequential:.2?}, about the sum of the delays ({sum} ms)\n");

    println!("== 2. concurrent: all requests at once");
    let start = Instant::now();
    let results = fetch::concurrent(&client, &url, REQUESTS).await;
    let concurrent = start.elapsed();
    let delays = fetch::report("concurrent", &results, concurrent);
    let max = delays.iter().max().copied().unwrap_or(0);
    println!("the run took {concurrent:.2?}, about the longest delay ({max} ms)\n");

    println!("== 3. #[timeout(250ms)] on the fetcher");
    let attempts =
        futures::future::join_all((0..REQUESTS).map(|_| fetch_in_time(&client, &url))).await;
    let (mut in_time, mut late) = (0, 0);
    for attempt in &attempts {
        match attempt {
            Ok(delay) => {
                in_time += 1;
                println!("answered in time: delay {delay} ms");
            }
            Err(e) => {
                late += 1;
                println!("gave up: {e}");
            }
        }
    }
    println!("{in_time} answered within 250 ms, {late} timed out\n");

    println!("== 4. limited: {LIMITED} requests at once, at most {LIMIT} in flight (Limiter)");
    // One limiter shared by every request: the server never sees more than
    // LIMIT of ours at a time, however many are started.
    let limiter = Limiter::new(LIMIT);
    let run_start = tokio::time::Instant::now();
    let start = Instant::now();
    let results = futures::future::join_all(
        (0..LIMITED).map(|i| fetch::fetch_timed(&client, &url, i, run_start).limited(&limiter)),
    )
    .await;
    let limited = start.elapsed();
    fetch::report("limited", &results, limited);
    let peak = fetch::peak_in_flight(&results);
    println!("peak in flight: {peak} (limit {LIMIT})\n");

    println!("== 5. pooled: {POOLED} requests through a TaskPool of {POOL} tasks");
    // The pool runs the fetches as tasks on every runtime thread, never more
    // than POOL at once, and `map` takes the next URL only when a slot frees.
    let pool = TaskPool::new(POOL);
    let run_start = tokio::time::Instant::now();
    let start = Instant::now();
    let fetches = {
        let (client, url) = (client.clone(), url.clone());
        pool.map(0..POOLED, move |i| {
            let (client, url) = (client.clone(), url.clone());
            async move { fetch::fetch_timed(&client, &url, i, run_start).await }
        })
    };
    let results: Vec<_> = fetches
        .map(|r| r.expect("a fetch does not panic"))
        .collect()
        .await;
    let pooled = start.elapsed();
    fetch::report("pooled", &results, pooled);
    let figures = pool.figures();
    println!(
        "peak in flight: {} (pool of {POOL}); pool peak running {}, {} panicked\n",
        fetch::peak_in_flight(&results),
        figures.peak_running,
        figures.panicked
    );

    println!("== summary");
    println!(
        "sequential {:.2?} vs concurrent {:.2?}: {:.1}x faster concurrently",
        sequential,
        concurrent,
        sequential.as_secs_f64() / concurrent.as_secs_f64().max(f64::EPSILON)
    );
    println!(
        "limited to {LIMIT}: {limited:.2?} for {LIMITED} requests; pool of {POOL}: {pooled:.2?} for {POOLED}"
    );
    Ok(())
}
