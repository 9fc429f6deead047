//! Sequential against concurrent fetching, with the tutorial's timelines.
//!
//! Recreates "简单协程示例" and "进阶示例, 多http请求并发调用": fetching N URLs one
//! after another takes the sum of their delays; fetching them all at once
//! takes about the longest one.
//!
//! Start the server first (`cargo run --example aio_server`), then run
//! `cargo run --example fetch_concurrent -- -n 5`. The `tour` example does
//! both in one process.

use std::time::Instant;

use async_kit_examples::cli::{Args, parse_url};
use async_kit_examples::fetch;
use lexopt::prelude::*;

const USAGE: &str = "\
usage: fetch_concurrent [--url http://127.0.0.1:3000/aio] [-n 5]

Fetches the URL n times sequentially, then n times concurrently, and prints
a timeline of each run.";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut url = "http://127.0.0.1:3000/aio".to_string();
    let mut n = 5;
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("url") => url = args.value_with(parse_url),
            Short('n') => n = args.value(),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    let client = reqwest::Client::new();

    let start = Instant::now();
    let results = fetch::sequential(&client, &url, n).await;
    let mut failed = results.iter().filter(|r| r.is_err()).count();
    let sequential = start.elapsed();
    let delays = fetch::report("sequential", &results, sequential);
    println!("sum of delays: {}\n", delays.iter().sum::<u64>());

    let start = Instant::now();
    let results = fetch::concurrent(&client, &url, n).await;
    failed += results.iter().filter(|r| r.is_err()).count();
    let concurrent = start.elapsed();
    let delays = fetch::report("concurrent", &results, concurrent);
    println!(
        "longest delay: {}",
        delays.iter().max().copied().unwrap_or(0)
    );
    fetch::exit_status(failed, 2 * n)
}
