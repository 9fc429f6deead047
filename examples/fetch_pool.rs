//! A task pool fetching many URLs, with a progress bar.
//!
//! Recreates the tutorial's bounded pool of workers (the `asyncpool` it
//! never finished): `pool.map` runs the fetches on the pool, at most
//! `--limit` at once, pulls the next request only as a slot frees up, and
//! yields results as they complete, which drive the progress bar.
//!
//! Run `cargo run --example fetch_pool -- -n 100 --limit 10`. Without
//! `--url`, it starts the `/aio` server in-process with delays of 10 to
//! 200 ms, so it needs nothing else and exits in a few seconds.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use async_kit::task::TaskPool;
use async_kit_examples::aio;
use async_kit_examples::cli::{Args, parse_positive, parse_url};
use async_kit_examples::fetch;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use lexopt::prelude::*;

const USAGE: &str = "\
usage: fetch_pool [--url http://127.0.0.1:3000/aio] [-n 100] [--limit 10]

Fetches the URL n times on a TaskPool of --limit tasks, shows a progress
bar, then prints the pool's figures and its shutdown report. Without --url,
an in-process /aio server answers with delays of 10 to 200 ms. Exits 1 if
any request failed.";

#[tokio::main]
async fn main() -> std::io::Result<ExitCode> {
    let mut url = None;
    let mut n: u64 = 100;
    let mut limit = 10;
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
    let (url, server) = aio::url_or_spawn(url, 10..=200).await?;
    let unit = fetch::delay_unit(server.is_some());
    let client = reqwest::Client::new();

    // The pool bounds the requests in flight and catches a panicking fetch
    // without losing the others.
    let pool = TaskPool::builder().name("fetch").limit(limit).build();
    let bar = ProgressBar::new(n).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let start = Instant::now();
    // `map` keeps memory flat however large n is: it takes the next index
    // only when a worker is free.
    let mut results = pool.map(0..n, move |_| {
        let (client, url) = (client.clone(), url.clone());
        async move { fetch::fetch(&client, &url).await }
    });
    let (mut ok, mut failed, mut delays) = (0, 0, 0);
    while let Some(result) = results.next().await {
        match result {
            Ok(Ok(delay)) => {
                ok += 1;
                delays += delay;
            }
            Ok(Err(err)) => {
                failed += 1;
                bar.suspend(|| eprintln!("failed: {err}"));
            }
            Err(err) => {
                failed += 1;
                bar.suspend(|| eprintln!("task failed: {err}"));
            }
        }
        bar.inc(1);
        bar.set_message(format!("{ok} ok, {failed} failed"));
    }
    bar.finish();
    let took = start.elapsed();
    println!(
        "{n} requests in {took:.2?} with at most {limit} at once: \
         {ok} ok, {failed} failed, delays add up to {delays} {unit}"
    );
    let figures = pool.figures();
    println!(
        "pool figures: map ran on {} pool tasks, peak running {}, {} panicked",
        figures.completed, figures.peak_running, figures.panicked
    );
    let report = pool.shutdown(Duration::from_secs(1)).await;
    println!(
        "shutdown: {} completed, {} aborted, {} panicked",
        report.completed, report.aborted, report.panicked
    );
    drop(server);
    Ok(fetch::exit_status(failed, n as usize))
}
