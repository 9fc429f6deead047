//! A fetcher that retries, stays under a rate limit and stops at one
//! deadline.
//!
//! Each of `-n` requests retries with exponential backoff and full jitter,
//! honouring the server's `Retry-After`, through one `Throttle` (a rate
//! and a concurrency limit in one call), all under a total `--deadline`
//! that the retries know: none sleeps past it, and a request that cannot
//! finish in time gives up *at* it, saying so.
//!
//! Run `cargo run --example fetch_resilient -- --fail-rate 0.5`. Without
//! `--url`, it starts the `/aio` server in-process with delays of 50 to
//! 200 ms, failing `--fail-rate` of the requests with 503.

use std::time::Instant;

use async_kit_examples::aio::{self, Config, DelayUnit};
use async_kit_examples::cli::{
    Args, parse_duration, parse_fraction, parse_positive, parse_positive_duration, parse_url,
};
use async_kit_examples::{fetch, resilient};
use lexopt::prelude::*;

const USAGE: &str = "\
usage: fetch_resilient [--url http://127.0.0.1:3000/aio] [-n 10] [--deadline 3s]
                       [--rate 20] [--burst 5] [--concurrency 4] [--attempts 5]
                       [--backoff 50ms] [--max-delay 1s] [--min-budget 20ms]
                       [--fail-rate 0.3] [--retry-after 0] [--seed N]

Starts n requests at once; each retries what failed (503, 5xx, refused or
reset connections, timeouts) with exponential backoff and full jitter, or
after the server's Retry-After, through one throttle of --rate attempts per
second (bursts of --burst) and --concurrency in flight, all by one
--deadline for the whole run. Prints the attempts of each request (x for a
failure, |--N--| for the success), why the others gave up, and a summary.

  --attempts     attempts per request, the first included
  --backoff      the first backoff's bound; doubles per failure up to
                 --max-delay; the wait is drawn from 0 to the bound
  --min-budget   no attempt starts with less time than this left
  --seed         seeds the jitter and the in-process server's failures
  --fail-rate    (in-process server) fraction of requests answered 503
  --retry-after  (in-process server) their Retry-After in seconds; 0 lets
                 the backoff decide
Exits 1 if any request gave up, 2 on a bad flag.";

#[tokio::main]
async fn main() -> std::io::Result<std::process::ExitCode> {
    let mut url = None;
    let mut options = resilient::Options::default();
    let mut server = Config {
        delay: 50..=200,
        unit: DelayUnit::Millis,
        fail_rate: 0.3,
        retry_after: 0,
        ..Config::default()
    };
    let mut server_flag = None;
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("url") => url = Some(args.value_with(parse_url)),
            Short('n') => options.n = args.value(),
            Long("deadline") => options.deadline = args.value_with(parse_positive_duration),
            Long("rate") => options.rate = args.value_with(parse_u32_positive),
            Long("burst") => options.burst = args.value_with(parse_u32_positive),
            Long("concurrency") => options.concurrency = args.value_with(parse_positive),
            Long("attempts") => options.attempts = args.value_with(parse_u32_positive),
            Long("backoff") => options.backoff = args.value_with(parse_duration),
            Long("max-delay") => options.max_delay = args.value_with(parse_duration),
            Long("min-budget") => options.min_budget = args.value_with(parse_duration),
            Long("fail-rate") => {
                server.fail_rate = args.value_with(parse_fraction);
                server_flag = Some("--fail-rate");
            }
            Long("retry-after") => {
                server.retry_after = args.value();
                server_flag = Some("--retry-after");
            }
            Long("seed") => {
                let seed = args.value();
                options.seed = Some(seed);
                server.seed = Some(seed);
            }
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    if let (Some(_), Some(flag)) = (&url, server_flag) {
        args.fail(format!(
            "{flag} sets the in-process server's behaviour: it has no effect with --url"
        ));
    }
    // Keeps the in-process server (if any) alive until the end of `main`.
    let (url, in_process) = aio::url_or_spawn_with(url, server.clone()).await?;
    let client = reqwest::Client::new();
    let where_ = if in_process.is_some() {
        format!(
            "in-process server failing {:.0}% with Retry-After {}",
            server.fail_rate * 100.0,
            server.retry_after
        )
    } else {
        url.clone()
    };
    println!(
        "{} requests to {where_}, deadline {:?}, {}/s (burst {}), {} in flight, {} attempts each",
        options.n,
        options.deadline,
        options.rate,
        options.burst,
        options.concurrency,
        options.attempts
    );
    let start = Instant::now();
    let requests = resilient::run(&client, &url, &options).await;
    let summary = resilient::report(&requests, start.elapsed(), 60);
    Ok(fetch::exit_status(summary.failed(), requests.len()))
}

/// A count above zero that fits a `u32` (a rate, a burst, attempts).
fn parse_u32_positive(text: &str) -> Result<u32, String> {
    let n = parse_positive(text)?;
    u32::try_from(n).map_err(|_| format!("{text:?} is too large: expected at most {}", u32::MAX))
}
