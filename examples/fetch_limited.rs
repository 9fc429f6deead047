//! A limiter around a fetcher: many requests started at once, at most
//! `--limit` of them in flight.
//!
//! Recreates the tutorial's `asyncio.Semaphore` article: `async with sem:`
//! around each request becomes `.limited(&limiter)`, and the timeline shows
//! the requests going through `--limit` at a time.
//!
//! Run `cargo run --example fetch_limited -- -n 12 --limit 3`. Without
//! `--url`, it starts the `/aio` server in-process with delays of 50 to
//! 400 ms, so it needs nothing else and exits in a few seconds.

use std::time::Instant;

use async_kit::LimitExt;
use async_kit::sync::Limiter;
use async_kit_examples::aio;
use async_kit_examples::cli::{Args, parse_positive, parse_url};
use async_kit_examples::fetch;
use lexopt::prelude::*;

const USAGE: &str = "\
usage: fetch_limited [--url http://127.0.0.1:3000/aio] [-n 12] [--limit 3]

Starts n requests at once through a Limiter of --limit permits, and prints
their timeline: never more than --limit are in flight. Without --url, an
in-process /aio server answers with delays of 50 to 400 ms. Exits 1 if any
request failed.";

#[tokio::main]
async fn main() -> std::io::Result<std::process::ExitCode> {
    let mut url = None;
    let mut n = 12;
    let mut limit = 3;
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("url") => url = Some(args.value_with(parse_url)),
            Short('n') => n = args.value(),
            Long("limit") => limit = args.value_with(parse_positive),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    // Keeps the in-process server (if any) alive until the end of `main`.
    let (url, _server) = aio::url_or_spawn(url, 50..=400).await?;
    let client = reqwest::Client::new();

    // One limiter shared by every request: the shared resource here is the
    // server, which should never see more than `limit` of ours at once.
    let limiter = Limiter::new(limit);
    let run_start = tokio::time::Instant::now();
    let start = Instant::now();
    let requests = (0..n).map(|index| {
        // The permit is taken when the request starts and given back when
        // it ends, whatever the outcome.
        fetch::fetch_timed(&client, &url, index, run_start).limited(&limiter)
    });
    let results = futures::future::join_all(requests).await;
    let took = start.elapsed();
    fetch::report(&format!("limited to {limit}"), &results, took);
    println!(
        "peak in flight: {} (limit {limit})",
        fetch::peak_in_flight(&results)
    );
    let failed = results.iter().filter(|r| r.is_err()).count();
    Ok(fetch::exit_status(failed, results.len()))
}
