//! A fetcher that retries what failed, stays under a rate limit and stops
//! at one deadline for the whole run.
//!
//! Each request runs [`async_kit::retry::retry`] (exponential backoff with
//! full jitter, the server's `Retry-After` honoured) inside
//! [`async_kit::time::timeout_at`] of the run's deadline, so the retries
//! know it: none sleeps past it, none starts without
//! [`Options::min_budget`] left, and an attempt still in flight when it
//! comes is cut off. Every attempt goes through one shared
//! [`Throttle`]: at most [`Options::rate`] starts per second and
//! [`Options::concurrency`] in flight, retries included.

use std::cell::RefCell;
use std::fmt;
use std::time::Duration;

use async_kit::Limiter;
use async_kit::rate::{Rate, RateLimiter, Throttle};
use async_kit::retry::{self, Policy, Reason, RetryError};
use axum::http::{StatusCode, header};
use tokio::time::Instant;

use crate::aio::Delay;
use crate::fetch;
use crate::timeline::{Bar, Mark};

/// How a resilient run behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many requests.
    pub n: usize,
    /// The whole run's deadline, from its start.
    pub deadline: Duration,
    /// Attempts started per second, retries included.
    pub rate: u32,
    /// How many attempts may start at once after a quiet spell.
    pub burst: u32,
    /// Attempts in flight at once.
    pub concurrency: usize,
    /// Attempts per request, the first one included.
    pub attempts: u32,
    /// The first backoff's bound; it doubles after each failure.
    pub backoff: Duration,
    /// The cap of the backoff (before jitter).
    pub max_delay: Duration,
    /// No attempt starts with less than this left before the deadline.
    pub min_budget: Duration,
    /// Seeds the jitter: request `i` draws from `seed + i`.
    pub seed: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            n: 10,
            deadline: Duration::from_secs(3),
            rate: 20,
            burst: 5,
            concurrency: 4,
            attempts: 5,
            backoff: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
            min_budget: Duration::from_millis(20),
            seed: None,
        }
    }
}

/// Why one attempt failed.
#[derive(Debug)]
pub enum AttemptError {
    /// The server answered 503, with its `Retry-After` if it gave a
    /// non-zero one.
    Unavailable {
        /// When to come back, as the server said.
        retry_after: Option<Duration>,
    },
    /// The request failed otherwise.
    Fetch(fetch::Error),
}

impl AttemptError {
    /// The server's hint, for [`retry::Retry::retry_after`]. A
    /// `Retry-After: 0` is no hint: the backoff applies, so that a client
    /// does not hammer a server that said "whenever".
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AttemptError::Unavailable { retry_after } => *retry_after,
            AttemptError::Fetch(_) => None,
        }
    }

    /// Whether another attempt may help: a 503, another 5xx, a refused or
    /// reset connection, a timeout; not a 404 or an answer that is not a
    /// `/aio` answer.
    pub fn is_retryable(&self) -> bool {
        match self {
            AttemptError::Unavailable { .. } => true,
            AttemptError::Fetch(fetch::Error::TimedOut(_)) => true,
            AttemptError::Fetch(fetch::Error::Http(e)) => {
                retry::is_transient(e)
                    || e.is_connect()
                    || e.is_timeout()
                    || e.status().is_some_and(|s| s.is_server_error())
            }
        }
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Unavailable {
                retry_after: Some(after),
            } => write!(f, "503 service unavailable, retry after {after:?}"),
            AttemptError::Unavailable { retry_after: None } => {
                f.write_str("503 service unavailable")
            }
            AttemptError::Fetch(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AttemptError {}

/// One attempt of a request, relative to the run's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// When the throttle let it start.
    pub start: Duration,
    /// When it ended; `None` if the deadline cut it off.
    pub end: Option<Duration>,
    /// The delay the server reported, if it succeeded.
    pub delay: Option<u64>,
}

/// Why a request gave up.
#[derive(Debug)]
pub enum GaveUp {
    /// The retry stopped, for its [`Reason`], with the last error.
    Retry(RetryError<AttemptError>),
    /// The deadline came while an attempt was in flight.
    CutOff,
}

impl GaveUp {
    /// Whether the deadline is why.
    pub fn at_deadline(&self) -> bool {
        match self {
            GaveUp::Retry(e) => e.reason() == Reason::Deadline,
            GaveUp::CutOff => true,
        }
    }
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GaveUp::Retry(e) => write!(f, "{e} (last error: {})", e.get_ref()),
            GaveUp::CutOff => f.write_str("the deadline came during an attempt"),
        }
    }
}

/// One request of a run: its attempts in order, and how it ended.
#[derive(Debug)]
pub struct Request {
    /// Which request of the run.
    pub index: usize,
    /// Its attempts, in the order they ran.
    pub attempts: Vec<Attempt>,
    /// The delay the server reported, or why it gave up.
    pub outcome: Result<u64, GaveUp>,
}

impl Request {
    /// This request's row of the timeline: `x` for each failed attempt,
    /// a bar for the one that succeeded.
    pub fn marks(&self) -> Vec<Mark> {
        self.attempts
            .iter()
            .map(|a| match (a.end, a.delay) {
                (Some(end), Some(label)) => Mark::Bar(Bar {
                    start: a.start,
                    end,
                    label,
                }),
                _ => Mark::Failed(a.start),
            })
            .collect()
    }
}

/// Fetches `url` once; a 503 reports its `Retry-After` (whole seconds).
pub async fn attempt(client: &reqwest::Client, url: &str) -> Result<u64, AttemptError> {
    let fetch_err = |e: reqwest::Error| AttemptError::Fetch(fetch::Error::Http(e));
    let reply = client.get(url).send().await.map_err(fetch_err)?;
    if reply.status() == StatusCode::SERVICE_UNAVAILABLE {
        let retry_after = reply
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&secs| secs > 0)
            .map(Duration::from_secs);
        return Err(AttemptError::Unavailable { retry_after });
    }
    let body: Delay = reply
        .error_for_status()
        .map_err(fetch_err)?
        .json()
        .await
        .map_err(fetch_err)?;
    Ok(body.delay)
}

/// Runs `options.n` requests to `url` at once, each retrying under the
/// shared throttle until it succeeds or gives up, all by one deadline.
pub async fn run(client: &reqwest::Client, url: &str, options: &Options) -> Vec<Request> {
    let rate = Rate::per_second(options.rate).burst(options.burst);
    let throttle = Throttle::new(RateLimiter::new(rate), Limiter::new(options.concurrency));
    let run_start = Instant::now();
    let deadline = run_start + options.deadline;
    let requests = (0..options.n).map(|index| {
        let throttle = &throttle;
        async move {
            let log = RefCell::new(Vec::new());
            let mut policy = Policy::exponential(options.backoff)
                .max_delay(options.max_delay)
                .max_attempts(options.attempts)
                .min_budget(options.min_budget);
            if let Some(seed) = options.seed {
                policy = policy.seed(seed.wrapping_add(index as u64));
            }
            let log_ref = &log;
            let retrying = retry::retry(policy, move || {
                throttle.run(async move {
                    let slot = {
                        let mut log = log_ref.borrow_mut();
                        log.push(Attempt {
                            start: run_start.elapsed(),
                            end: None,
                            delay: None,
                        });
                        log.len() - 1
                    };
                    let out = attempt(client, url).await;
                    let mut log = log_ref.borrow_mut();
                    log[slot].end = Some(run_start.elapsed());
                    log[slot].delay = out.as_ref().ok().copied();
                    out
                })
            })
            .when(AttemptError::is_retryable)
            .retry_after(AttemptError::retry_after);
            let outcome = match async_kit::time::timeout_at(deadline, retrying).await {
                Ok(Ok(delay)) => Ok(delay),
                Ok(Err(gave_up)) => Err(GaveUp::Retry(gave_up)),
                Err(_elapsed) => Err(GaveUp::CutOff),
            };
            Request {
                index,
                attempts: log.into_inner(),
                outcome,
            }
        }
    });
    futures::future::join_all(requests).await
}

/// What a run came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Requests that succeeded.
    pub succeeded: usize,
    /// Requests that gave up at the deadline (between attempts or during
    /// one).
    pub deadline: usize,
    /// Requests whose every allowed attempt failed.
    pub exhausted: usize,
    /// Requests whose error was not worth a retry.
    pub rejected: usize,
    /// Requests that gave up for another reason (a retry budget).
    pub other: usize,
    /// Attempts made, all requests together.
    pub attempts: usize,
}

impl Summary {
    /// Counts what `requests` came to.
    pub fn of(requests: &[Request]) -> Self {
        let mut s = Summary::default();
        for r in requests {
            s.attempts += r.attempts.len();
            match &r.outcome {
                Ok(_) => s.succeeded += 1,
                Err(e) if e.at_deadline() => s.deadline += 1,
                Err(GaveUp::Retry(e)) if e.reason() == Reason::Exhausted => s.exhausted += 1,
                Err(GaveUp::Retry(e)) if e.reason() == Reason::Rejected => s.rejected += 1,
                Err(_) => s.other += 1,
            }
        }
        s
    }

    /// Requests that did not succeed.
    pub fn failed(&self) -> usize {
        self.deadline + self.exhausted + self.rejected + self.other
    }
}

/// Prints a run's timeline (`x` per failed attempt, `|--N--|` for the
/// one that succeeded), why each failed request gave up, and the summary;
/// returns the summary.
pub fn report(requests: &[Request], took: Duration, width: usize) -> Summary {
    let rows: Vec<Vec<Mark>> = requests.iter().map(Request::marks).collect();
    print!("{}", crate::timeline::render_rows(&rows, width));
    for r in requests {
        if let Err(e) = &r.outcome {
            println!("request #{} gave up: {e}", r.index);
        }
    }
    let s = Summary::of(requests);
    println!(
        "succeeded: {} of {} in {took:.2?} ({} attempts)",
        s.succeeded,
        requests.len(),
        s.attempts
    );
    println!(
        "gave up: {} (at the deadline {}, attempts exhausted {}, not retryable {}, other {})",
        s.failed(),
        s.deadline,
        s.exhausted,
        s.rejected,
        s.other
    );
    s
}
