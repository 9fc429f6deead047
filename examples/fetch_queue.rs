//! Producer/consumer fetching through a [`Queue`], with `task_done` / `join`.
//!
//! Recreates the tutorial's "dynamic tasks, improved" (asyncio.Queue): a
//! producer puts URLs on a bounded queue, a fixed set of workers fetch them,
//! and the producer waits with `join` until every URL has been handled, then
//! shuts the queue down so the workers stop.
//!
//! Run it with `cargo run --example fetch_queue -- -n 20 -k 4`. Without
//! `--url`, it starts the `/aio` server in-process on a free port, with
//! delays of tens of milliseconds, and exits in about a second.

use std::collections::BTreeMap;
use std::time::Instant;

use async_kit::Queue;
use async_kit_examples::aio;
use async_kit_examples::cli::{Args, parse_positive, parse_range, parse_url};
use async_kit_examples::fetch;
use lexopt::prelude::*;

const USAGE: &str = "\
usage: fetch_queue [--url http://127.0.0.1:3000/aio] [-n 20] [-k 4]
                   [--capacity 8] [--delay 20..120]

Puts n fetches of the URL on a bounded queue of the given capacity; k
workers take them and fetch. The producer waits until every fetch is done
(join), then shuts the queue down. Without --url, serves /aio in-process
with the given delays in milliseconds (--delay is refused with --url).
Exits 1 if any fetch failed.";

/// What a worker reports for one URL.
struct Outcome {
    worker: usize,
    index: usize,
    result: Result<u64, fetch::Error>,
}

#[tokio::main]
async fn main() -> std::io::Result<std::process::ExitCode> {
    let mut url: Option<String> = None;
    let (mut n, mut k, mut capacity) = (20usize, 4usize, 8usize);
    let mut delay = None;
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("url") => url = Some(args.value_with(parse_url)),
            Short('n') => n = args.value(),
            Short('k') => k = args.value_with(parse_positive),
            Long("capacity") => capacity = args.value_with(parse_positive),
            Long("delay") => delay = Some(args.value_with(parse_range)),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    if url.is_some() && delay.is_some() {
        args.fail("--delay sets the in-process server's delays: it has no effect with --url");
    }

    // Without a URL, the tutorial's /aio server runs in this process.
    // Keeps the in-process server (if any) alive until the end of `main`.
    let (url, server) = aio::url_or_spawn(url, delay.unwrap_or(20..=120)).await?;
    let unit = fetch::delay_unit(server.is_some());
    println!("fetch_queue: {n} fetches of {url}, {k} workers, queue capacity {capacity}");

    // The work queue is bounded, so the producer can never run far ahead of
    // the workers; the results go to an unbounded one, which never blocks a
    // worker.
    let jobs: Queue<(usize, String)> = Queue::bounded(capacity);
    let results: Queue<Outcome> = Queue::unbounded();
    let client = reqwest::Client::new();
    let start = Instant::now();

    let workers: Vec<_> = (0..k)
        .map(|worker| {
            let (jobs, results, client) = (jobs.clone(), results.clone(), client.clone());
            tokio::spawn(async move {
                // The guard marks the job done when dropped, even if the
                // worker returned early or panicked: `join` cannot hang.
                while let Ok(job) = jobs.get_guarded().await {
                    let (index, url) = &*job;
                    let result = fetch::fetch(&client, url).await;
                    let outcome = Outcome {
                        worker,
                        index: *index,
                        result,
                    };
                    if results.put(outcome).await.is_err() {
                        break;
                    }
                }
            })
        })
        .collect();

    // The producer: `put` waits while the queue is full.
    for index in 0..n {
        jobs.put((index, url.clone()))
            .await
            .expect("the queue is shut down only after join");
    }
    // Every URL put has been fetched once `join` returns.
    jobs.join().await;
    let took = start.elapsed();
    // Python 3.13's shutdown: the workers' next `get` fails and they return.
    jobs.shutdown();
    for worker in workers {
        worker.await.expect("a worker panicked");
    }

    results.shutdown();
    let mut per_worker: BTreeMap<usize, usize> = BTreeMap::new();
    let (mut ok, mut failed, mut sum) = (0, 0, 0);
    while let Ok(outcome) = results.get().await {
        *per_worker.entry(outcome.worker).or_default() += 1;
        match outcome.result {
            Ok(delay) => {
                ok += 1;
                sum += delay;
            }
            Err(err) => {
                failed += 1;
                eprintln!("fetch #{} failed: {err}", outcome.index);
            }
        }
    }
    for (worker, count) in &per_worker {
        println!("worker {worker}: {count} fetches");
    }
    println!("{ok} fetched, {failed} failed, in {took:.2?}");
    println!(
        "sum of delays {sum} {unit} over {k} workers: about {} {unit} if they share the work evenly",
        sum / k as u64
    );
    drop(server);
    Ok(fetch::exit_status(failed, n))
}
