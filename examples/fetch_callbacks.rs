//! Fetching with completion callbacks and a group timeout.
//!
//! Recreates the asyncio series' callback step (`task.add_done_callback`
//! printing each answer as it arrives) and its `asyncio.wait(tasks,
//! timeout=..., return_when=...)` step: the first answer is handled at once,
//! the group then gets a time budget, and whatever is still pending when it
//! runs out is cancelled by the caller, whose callbacks see the
//! cancellation.
//!
//! Run it with `cargo run --example fetch_callbacks`. It starts the `/aio`
//! server in-process (delays in milliseconds) unless `--url` points at one
//! (`cargo run --example aio_server`, whose delays are in seconds).

use std::time::{Duration, Instant};

use async_kit::CompletionExt;
use async_kit::task::{self, Outcome, ReturnWhen};
use async_kit_examples::aio;
use async_kit_examples::cli::{Args, parse_duration, parse_range, parse_url};
use async_kit_examples::fetch;
use lexopt::prelude::*;

const USAGE: &str = "\
usage: fetch_callbacks [-n 6] [--delay 50..400] [--timeout 100ms] [--url URL]

Fetches n times with a callback on each fetch, then spawns n fetch tasks
with done callbacks, waits for the first answer, gives the rest --timeout,
and cancels what is still pending. Without --url, an in-process /aio server
answers after --delay milliseconds.";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut n = 6;
    let mut delay = None;
    let mut budget = Duration::from_millis(100);
    let mut url = None;
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Short('n') => n = args.value(),
            Long("delay") => delay = Some(args.value_with(parse_range)),
            Long("timeout") => budget = args.value_with(parse_duration),
            Long("url") => url = Some(args.value_with(parse_url)),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    // Keeps the in-process server (if any) alive until the end of `main`.
    if url.is_some() && delay.is_some() {
        args.fail("--delay sets the in-process server's delays: it has no effect with --url");
    }
    let (url, _server) = aio::url_or_spawn(url, delay.unwrap_or(50..=400)).await?;
    let client = reqwest::Client::new();

    println!("== 1. on_complete: a callback on each fetch future");
    let start = Instant::now();
    // `on_complete` sees each answer the moment its future completes, while
    // `join_all` still hands all of them back, in order, at the end.
    let answers = futures::future::join_all((0..n).map(|i| {
        fetch::fetch(&client, &url).on_complete(move |answer| {
            println!("  [{:>5.0?}] #{i} {}", start.elapsed(), show(answer));
        })
    }))
    .await;
    let ok = answers.iter().filter(|a| a.is_ok()).count();
    println!("all {n} back after {:.0?}, {ok} ok\n", start.elapsed());

    println!("== 2. done callbacks on tasks, wait(FirstCompleted), then a {budget:?} budget");
    let start = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (client, url) = (client.clone(), url.clone());
            // `task::spawn` rather than `tokio::spawn`: its handle takes
            // callbacks after spawning and reports aborts to them too.
            let handle = task::spawn(async move { fetch::fetch(&client, &url).await });
            handle.add_done_callback(move |outcome: Outcome<'_, _>| {
                let what = match outcome {
                    Outcome::Completed(Some(answer)) => show(answer),
                    Outcome::Completed(None) => "done".to_string(),
                    Outcome::Panicked => "panicked".to_string(),
                    Outcome::Cancelled => "cancelled".to_string(),
                };
                println!("  [{:>5.0?}] task #{i} callback: {what}", start.elapsed());
            });
            handle
        })
        .collect();

    let (first, pending) = task::wait(handles, ReturnWhen::FirstCompleted, None).await;
    println!(
        "first answer(s) after {:.0?}: {}, {} pending",
        start.elapsed(),
        first.len(),
        pending.len()
    );
    // Like asyncio, the timeout cancels nothing: what is pending comes back.
    let (done, late) = task::wait(pending, ReturnWhen::AllCompleted, Some(budget)).await;
    println!(
        "within the budget: {} more, {} still pending after {:.0?}",
        done.len(),
        late.len(),
        start.elapsed()
    );
    // The caller decides: here the late ones are cancelled, and their
    // callbacks say so before the handles return.
    for handle in &late {
        handle.abort();
    }
    let cancelled = futures::future::join_all(late)
        .await
        .iter()
        .filter(|r| r.as_ref().is_err_and(|e| e.is_cancelled()))
        .count();
    println!("cancelled {cancelled} late task(s)");
    Ok(())
}

fn show(answer: &Result<u64, fetch::Error>) -> String {
    match answer {
        Ok(delay) => format!("answered, delay {delay}"),
        Err(e) => format!("failed: {e}"),
    }
}
