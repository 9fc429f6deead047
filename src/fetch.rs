//! Fetchers for the `/aio` server: one after another, or all at once.

use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::aio::Delay;
use crate::timeline::Bar;

/// One finished request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    /// Which request of the run.
    pub index: usize,
    /// The delay the server reported.
    pub delay: u64,
    /// When it started, from the beginning of the run.
    pub start: Duration,
    /// When it ended, from the beginning of the run.
    pub end: Duration,
}

impl Fetched {
    /// This request as a timeline bar.
    pub fn bar(&self) -> Bar {
        Bar {
            start: self.start,
            end: self.end,
            label: self.delay,
        }
    }
}

/// Why a fetch failed.
#[derive(Debug)]
pub enum Error {
    /// The request or its answer failed.
    Http(reqwest::Error),
    /// A `#[timeout]` around the fetch fired first.
    TimedOut(async_kit::Elapsed),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Http(e) => f.write_str(&describe_http(e)),
            Error::TimedOut(e) => write!(f, "timed out: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// What went wrong, in words a user can act on: reqwest's own message
/// names the step ("error sending request for url (..)"), the cause is at
/// the bottom of its sources.
fn describe_http(e: &reqwest::Error) -> String {
    let target = e
        .url()
        .map(|url| {
            let host = url.host_str().unwrap_or("?");
            match url.port_or_known_default() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            }
        })
        .unwrap_or_else(|| "the server".to_string());
    if let Some(status) = e.status() {
        return format!("{target} answered {status}");
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let io = std::iter::successors(Some(e as &dyn std::error::Error), |c| c.source())
        .find_map(|c| c.downcast_ref::<std::io::Error>());
    if let Some(io) = io {
        use std::io::ErrorKind::*;
        let what = match io.kind() {
            ConnectionRefused => Some("connection refused by"),
            ConnectionReset => Some("connection reset by"),
            ConnectionAborted => Some("connection aborted by"),
            TimedOut => Some("timed out connecting to"),
            _ => None,
        };
        if let Some(what) = what {
            return format!("{what} {target}");
        }
    }
    if e.is_connect() {
        return format!("cannot connect to {target}: {cause}");
    }
    if e.is_decode() {
        return format!("{target} sent an answer that is not a /aio answer: {cause}");
    }
    if e.is_timeout() {
        return format!("{target} did not answer in time");
    }
    format!("request to {target} failed: {cause}")
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Http(e)
    }
}

// What lets `#[timeout]` keep a fetcher's `Result<_, Error>` signature.
impl From<async_kit::Elapsed> for Error {
    fn from(e: async_kit::Elapsed) -> Self {
        Error::TimedOut(e)
    }
}

/// A fetch that failed, with the request's index.
#[derive(Debug)]
pub struct FetchError {
    /// Which request of the run.
    pub index: usize,
    /// What went wrong.
    pub error: Error,
}

/// Fetches `url` once and returns the delay the server reported.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<u64, Error> {
    let reply: Delay = client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(reply.delay)
}

/// Fetches `url` as request `index` of a run that began at `run_start`.
pub async fn fetch_timed(
    client: &reqwest::Client,
    url: &str,
    index: usize,
    run_start: Instant,
) -> Result<Fetched, FetchError> {
    let start = run_start.elapsed();
    let delay = fetch(client, url)
        .await
        .map_err(|error| FetchError { index, error })?;
    Ok(Fetched {
        index,
        delay,
        start,
        end: run_start.elapsed(),
    })
}

/// Fetches `url` `n` times, one after another: the total is the sum of the
/// delays.
pub async fn sequential(
    client: &reqwest::Client,
    url: &str,
    n: usize,
) -> Vec<Result<Fetched, FetchError>> {
    let run_start = Instant::now();
    let mut results = Vec::with_capacity(n);
    for index in 0..n {
        results.push(fetch_timed(client, url, index, run_start).await);
    }
    results
}

/// Fetches `url` `n` times, all at once (asyncio's `gather`): the total is
/// about the longest delay.
pub async fn concurrent(
    client: &reqwest::Client,
    url: &str,
    n: usize,
) -> Vec<Result<Fetched, FetchError>> {
    let run_start = Instant::now();
    futures::future::join_all((0..n).map(|index| fetch_timed(client, url, index, run_start))).await
}

/// Prints a run's timeline and total, and returns the delays that came back.
pub fn report(title: &str, results: &[Result<Fetched, FetchError>], took: Duration) -> Vec<u64> {
    let ok: Vec<Fetched> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    let bars: Vec<crate::timeline::Bar> = ok.iter().map(Fetched::bar).collect();
    println!("{title}: {} requests in {took:.2?}", results.len());
    print!("{}", crate::timeline::render(&bars, 60));
    for err in results.iter().filter_map(|r| r.as_ref().err()) {
        println!("#{:<3}failed: {}", err.index, err.error);
    }
    ok.iter().map(|f| f.delay).collect()
}

/// The most requests whose [start, end) intervals overlap.
pub fn peak_in_flight(results: &[Result<Fetched, FetchError>]) -> usize {
    let mut edges: Vec<(Duration, i32)> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .flat_map(|f| [(f.start, 1), (f.end, -1)])
        .collect();
    // An end sorts before a start at the same instant.
    edges.sort();
    let (mut now, mut peak) = (0_i32, 0_i32);
    for (_, step) in edges {
        now += step;
        peak = peak.max(now);
    }
    peak as usize
}

/// The exit status of a fetching example: failure when any request failed,
/// saying how many on stderr, so that scripts notice.
pub fn exit_status(failed: usize, total: usize) -> std::process::ExitCode {
    if failed == 0 {
        return std::process::ExitCode::SUCCESS;
    }
    eprintln!("error: {failed} of {total} requests failed");
    std::process::ExitCode::FAILURE
}

/// The unit of the delays a run reports: milliseconds for the in-process
/// server, which the examples start that way; a server given by URL did
/// not say, so "units" (seconds for `aio_server`'s default).
pub fn delay_unit(in_process: bool) -> &'static str {
    if in_process { "ms" } else { "units" }
}
