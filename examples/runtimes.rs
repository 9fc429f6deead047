//! One program, two runtimes: tokio's current-thread and multi-thread
//! schedulers, the tutorial's "another event loop" (tornado) article.
//!
//! The same `program` runs twice. Both runs fetch from an in-process `/aio`
//! server under a `#[timeout]`, which behave the same on either runtime.
//! What changes is where tasks run: the current-thread runtime polls every
//! task on the thread that called `block_on`, so a task that blocks its
//! thread stops all the others; the multi-thread runtime has worker threads,
//! and the others go on elsewhere.
//!
//! Run it with `cargo run --example runtimes`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_kit::timeout;
use async_kit_examples::aio::{self, Config, DelayUnit};
use async_kit_examples::fetch;

const REQUESTS: usize = 5;

#[timeout(2s)]
async fn fetch_in_time(client: &reqwest::Client, url: &str) -> Result<u64, fetch::Error> {
    fetch::fetch(client, url).await
}

async fn program(name: &str) -> std::io::Result<()> {
    println!("== {name}");
    let config = Config {
        delay: 20..=80,
        unit: DelayUnit::Millis,
        ..Config::default()
    };
    let (addr, _stop) = aio::spawn(config).await?;
    let url = format!("http://{addr}/aio");
    let client = reqwest::Client::new();

    // The async parts of the program do not care which runtime they run on.
    let start = Instant::now();
    let answers = futures::future::join_all((0..REQUESTS).map(|_| fetch_in_time(&client, &url)));
    let answered = answers.await.iter().filter(|a| a.is_ok()).count();
    println!(
        "{answered} of {REQUESTS} fetches answered in {:.0?}",
        start.elapsed()
    );

    // Which threads ran 100 small tasks.
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let threads = threads.clone();
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                threads
                    .lock()
                    .expect("not poisoned")
                    .insert(std::thread::current().id());
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("no panic");
    }
    let threads = threads.lock().expect("not poisoned").len();
    println!("100 tasks ran on {threads} thread(s)");

    // A task that blocks its thread for 200 ms, beside a ticker that wants
    // to tick every 10 ms: count the ticks that happen while it blocks.
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(10));
            loop {
                every.tick().await;
                ticks.lock().expect("not poisoned").push(Instant::now());
            }
        })
    };
    tokio::task::yield_now().await;
    let (from, to) = tokio::spawn(async {
        let from = Instant::now();
        std::thread::sleep(Duration::from_millis(200));
        (from, Instant::now())
    })
    .await
    .expect("no panic");
    ticker.abort();
    let during = ticks
        .lock()
        .expect("not poisoned")
        .iter()
        .filter(|&&t| t > from && t < to)
        .count();
    println!("while one task blocked its thread for 200 ms, the ticker ticked {during} time(s)\n");
    Ok(())
}

fn main() -> std::io::Result<()> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(program(
            "current-thread runtime (one thread, like asyncio's loop)",
        ))?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(program("multi-thread runtime (2 worker threads)"))?;
    println!(
        "summary: the same code runs on both; only the multi-thread runtime keeps\n\
         other tasks going while one blocks a thread (better: never block, see cpu_offload)"
    );
    Ok(())
}
