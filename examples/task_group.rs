//! Article 4 the Python 3.11 way: a group of fetches under one deadline.
//!
//! ```python
//! async with asyncio.timeout(1):
//!     async with asyncio.TaskGroup() as tg:
//!         for i in range(n):
//!             tg.create_task(fetch(i))
//! ```
//!
//! The fetches run as children of a fail-fast [`TaskGroup`] spawned under a
//! `time::timeout`, so each child inherits the deadline. One fetch fails
//! (it asks for a path the server does not have); the group then cancels
//! every sibling still waiting, and the timeline shows who answered, who
//! failed and who was cancelled when. With `--fail never` the fetches run
//! until they answer or the deadline stops them.
//!
//! Run it with `cargo run --example task_group`. It starts the `/aio`
//! server in-process (delays in milliseconds) unless `--url` points at one
//! (`cargo run --example aio_server`, whose delays are in seconds).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_kit::task::{ChildError, TaskGroup};
use async_kit::time::timeout;
use async_kit_examples::aio;
use async_kit_examples::cli::{Args, parse_duration, parse_range};
use async_kit_examples::fetch::{self, Error};
use lexopt::prelude::*;
use tokio::time::Instant;

const USAGE: &str = "\
usage: task_group [-n 6] [--delay 50..400] [--timeout 1s] [--fail 2|never]
                  [--fail-after 150ms] [--url URL]

Fetches n times in a fail-fast TaskGroup under a --timeout deadline that
every fetch inherits. Fetch number --fail waits --fail-after, then asks for
a missing path and fails, which cancels the fetches still waiting. Without
--url, an in-process /aio server answers after --delay milliseconds.";

/// How one fetch ended, and when.
#[derive(Clone, Copy)]
enum End {
    Answered(u64),
    Failed,
    Cancelled,
}

/// One line of the timeline.
struct Row {
    index: usize,
    start: Duration,
    end: Duration,
    how: End,
}

/// Writes a fetch's row when it ends, however it ends: a fetch the group
/// cancels is dropped, and its row says when.
struct Track {
    rows: Arc<Mutex<Vec<Row>>>,
    index: usize,
    start: Duration,
    run_start: Instant,
    how: End,
}

impl Drop for Track {
    fn drop(&mut self) {
        let row = Row {
            index: self.index,
            start: self.start,
            end: self.run_start.elapsed(),
            how: self.how,
        };
        self.rows.lock().unwrap().push(row);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut n = 6;
    let mut delay = 50..=400;
    let mut budget = Duration::from_secs(1);
    let mut fail = Some(2);
    let mut fail_after = Duration::from_millis(150);
    let mut url = None;
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Short('n') => n = args.value(),
            Long("delay") => delay = args.value_with(parse_range),
            Long("timeout") => budget = args.value_with(parse_duration),
            Long("fail") => {
                fail = args.value_with(|text| match text {
                    "never" => Ok(None),
                    n => n
                        .parse()
                        .map(Some)
                        .map_err(|_| format!("--fail takes an index or `never`, not {n:?}")),
                });
            }
            Long("fail-after") => fail_after = args.value_with(parse_duration),
            Long("url") => url = Some(args.value::<String>()),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    // Keeps the in-process server (if any) alive until the end of `main`.
    let (url, _server) = aio::url_or_spawn(url, delay).await?;
    let client = reqwest::Client::new();
    let rows = Arc::new(Mutex::new(Vec::new()));
    let run_start = Instant::now();

    let failing = fail.map_or("no fetch fails".to_string(), |i| {
        format!("fetch #{i} fails")
    });
    println!("== {n} fetches in a TaskGroup, deadline {budget:?}, {failing}");
    let group = TaskGroup::<u64, Error>::new();
    // Spawned inside the timeout: every child inherits its deadline and is
    // stopped when it passes, even though `join` is awaited outside it.
    timeout(budget, async {
        for index in 0..n {
            let (client, rows) = (client.clone(), rows.clone());
            // A path the server does not have: a 404, so the fetch fails.
            let (target, wait) = if fail == Some(index) {
                (format!("{url}/missing"), fail_after)
            } else {
                (url.clone(), Duration::ZERO)
            };
            let spawned = group.spawn(async move {
                let mut track = Track {
                    rows,
                    index,
                    start: run_start.elapsed(),
                    run_start,
                    how: End::Cancelled,
                };
                tokio::time::sleep(wait).await;
                let answer = fetch::fetch(&client, &target).await;
                track.how = match &answer {
                    Ok(delay) => End::Answered(*delay),
                    Err(_) => End::Failed,
                };
                answer
            });
            spawned.await.expect("the group is open");
        }
    })
    .await
    .expect("spawning takes no time");

    let result = group.join().await;
    let took = run_start.elapsed();
    let mut rows = std::mem::take(&mut *rows.lock().unwrap());
    rows.sort_by_key(|row| row.index);
    println!("timeline (ms from the start):");
    for row in &rows {
        let how = match row.how {
            End::Answered(delay) => format!("answered, delay {delay}"),
            End::Failed => "failed".to_string(),
            End::Cancelled => "cancelled".to_string(),
        };
        println!(
            "  #{} {:>5} .. {:>5}  {how}",
            row.index,
            row.start.as_millis(),
            row.end.as_millis()
        );
    }
    match result {
        Ok(delays) => println!("all {} answered after {took:.0?}: {delays:?}", delays.len()),
        Err(err) => {
            for failure in err.failures() {
                let why = match &failure.error {
                    ChildError::Elapsed(e) => format!("stopped at the deadline ({e})"),
                    other => other.to_string(),
                };
                println!("fetch #{} failed: {why}", failure.index);
            }
            println!(
                "cancelled because of it: {:?}; the group ended after {took:.0?}",
                err.cancelled()
            );
        }
    }
    Ok(())
}
