//! Dynamic tasks from a plain thread: a `BackgroundRuntime` runs the event
//! loop on threads of its own, and a plain thread (a GUI loop, a callback
//! from a C library) submits fetches to it as they come and waits for each
//! answer, cancelling those that take too long.
//!
//! Recreates the tutorial's "dynamically adding coroutines" (动态添加协程):
//! an event loop running in a thread, fed with
//! `asyncio.run_coroutine_threadsafe(coro, loop)` and `future.result(timeout)`.
//! The `/aio` server runs in-process, on the background runtime itself.
//!
//! Run it with `cargo run --example dynamic_tasks` (`--help` for the flags).
//! It exits 0 in about a second.

use std::time::{Duration, Instant};

use async_kit::bridge::BackgroundRuntime;
use async_kit_examples::aio::{self, Config, DelayUnit};
use async_kit_examples::cli::{Args, parse_duration, parse_range};
use async_kit_examples::fetch;

const USAGE: &str = "\
usage: dynamic_tasks [--requests 6] [--delay 50..400] [--wait 300ms]

  --requests N  fetches the plain thread submits (default 6)
  --delay R     the server's delays, in milliseconds (default 50..400)
  --wait D      how long the thread waits for the answers, counted from
                the submissions; later ones are cancelled (default 300ms)";

fn main() -> std::io::Result<()> {
    let (mut requests, mut delay, mut wait) = (6, 50..=400, Duration::from_millis(300));
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            lexopt::Arg::Long("requests") => requests = args.value(),
            lexopt::Arg::Long("delay") => delay = args.value_with(parse_range),
            lexopt::Arg::Long("wait") => wait = args.value_with(parse_duration),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }

    // The event loop, on threads of its own: the rest of `main` is plain,
    // blocking code, as a GUI or a C callback would be.
    let runtime = BackgroundRuntime::with_worker_threads(2)?;
    let config = Config {
        delay: delay.clone(),
        unit: DelayUnit::Millis,
        ..Config::default()
    };
    let (addr, stop) = runtime
        .submit(aio::spawn(config))
        .expect("the runtime was just started")
        .wait()
        .expect("starting the server does not panic")?;
    let url = format!("http://{addr}/aio");
    println!("dynamic_tasks: the /aio server runs on {url} (delays of {delay:?} ms)\n");

    let submitter = {
        let runtime = runtime.clone();
        std::thread::spawn(move || {
            let client = reqwest::Client::new();
            let start = Instant::now();
            // Each submission returns at once; the fetches run concurrently on
            // the background runtime while this thread goes on.
            let mut handles: Vec<_> = (0..requests)
                .map(|index| {
                    let (client, url) = (client.clone(), url.clone());
                    let handle = runtime
                        .submit(async move { fetch::fetch(&client, &url).await })
                        .expect("the runtime runs until the end of main");
                    println!("submitted request {index} from a plain thread");
                    handle
                })
                .collect();
            let deadline = start + wait;
            let (mut answered, mut cancelled) = (0, 0);
            for (index, handle) in handles.iter_mut().enumerate() {
                // `wait_timeout` blocks this thread only; `None` means no
                // answer yet, and the request is cancelled.
                match handle.wait_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Some(Ok(Ok(delay))) => {
                        answered += 1;
                        println!("request {index}: answered after {delay} ms");
                    }
                    Some(Ok(Err(err))) => println!("request {index}: failed: {err}"),
                    Some(Err(err)) => println!("request {index}: {err}"),
                    None => {
                        handle.cancel();
                        cancelled += 1;
                        println!("request {index}: no answer within {wait:?}, cancelled");
                    }
                }
            }
            (answered, cancelled)
        })
    };
    let (answered, cancelled) = submitter.join().expect("the submitter does not panic");

    // Stop the server, then the runtime: whatever is still in flight gets
    // until the deadline, then is cancelled.
    let _ = stop.send(());
    let report = runtime.shutdown(Duration::from_secs(1));
    println!("\n== summary");
    println!("{answered} answered within {wait:?}, {cancelled} cancelled by the plain thread");
    println!(
        "shutdown: {} finished in time, {} cancelled",
        report.finished, report.cancelled
    );
    Ok(())
}
