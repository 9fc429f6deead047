//! The tour: the tutorial's story in one run, with no server to start by hand.
//!
//! Starts the `/aio` server in-process on a free port with delays of tens of
//! milliseconds, then fetches from it sequentially, concurrently, under a
//! `#[timeout]`, and prints each run's timeline and a summary.
//!
//! Run it with `cargo run --example tour`. It exits 0 in a few seconds.

use std::time::Instant;

use async_kit::timeout;
use async_kit_examples::aio::{self, Config, DelayUnit};
use async_kit_examples::fetch;

const REQUESTS: usize = 5;

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

    println!("== summary");
    println!(
        "sequential {:.2?} vs concurrent {:.2?}: {:.1}x faster concurrently",
        sequential,
        concurrent,
        sequential.as_secs_f64() / concurrent.as_secs_f64().max(f64::EPSILON)
    );
    Ok(())
}
