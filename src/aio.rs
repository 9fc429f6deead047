//! The tutorial's `/aio` server: `GET /aio` sleeps a random delay and
//! answers `{"delay": N}`.
//!
//! Every other example fetches from it. The original (aiohttp.web) slept
//! 1 to 30 seconds; the range and its unit are configurable so tests and the
//! tour can use milliseconds.

use std::future::Future;
use std::io;
use std::ops::RangeInclusive;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The unit of the delays the server sleeps and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayUnit {
    /// Seconds, as in the tutorial.
    Seconds,
    /// Milliseconds, for tests and the tour.
    Millis,
}

impl DelayUnit {
    /// The duration of `n` of this unit.
    pub fn duration(self, n: u64) -> Duration {
        match self {
            DelayUnit::Seconds => Duration::from_secs(n),
            DelayUnit::Millis => Duration::from_millis(n),
        }
    }
}

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// The delays to draw from, inclusive.
    pub delay: RangeInclusive<u64>,
    /// The unit of `delay`.
    pub unit: DelayUnit,
    /// At most this many requests are handled at once; others get 503 and
    /// their connection is closed. The default,
    /// [`default_max_in_flight`], leaves room under the process's file
    /// limit, so the 503 comes before the descriptors run out.
    pub max_in_flight: usize,
    /// A request that takes longer gets 504.
    pub request_timeout: Duration,
    /// A connection must send a complete request head within this time of
    /// opening, and again of each answer it got; otherwise it is closed.
    /// This one timer closes connections that send nothing, idle
    /// keep-alive connections, and clients that send their headers a byte
    /// at a time; the time a request takes to be answered is not counted.
    pub header_timeout: Duration,
    /// After shutdown starts, the connections still open get this long to
    /// finish their requests; then they are closed.
    pub grace: Duration,
    /// The fraction of `/aio` requests, in `0.0..=1.0`, answered at once
    /// with `503 Service Unavailable` and a `Retry-After` header, to
    /// exercise retrying clients. Which requests fail is drawn by a
    /// [`FailPlan`] seeded with [`seed`](Config::seed).
    pub fail_rate: f64,
    /// The `Retry-After` of those 503s, in whole seconds (HTTP's unit).
    /// Zero says "retry when you like": clients fall back to their backoff.
    pub retry_after: u64,
    /// The seed of the [`FailPlan`]: with one, the n-th request the server
    /// receives fails or not exactly as the n-th draw of
    /// `FailPlan::new(fail_rate, Some(seed))` says; without, every run
    /// draws its own.
    pub seed: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            delay: 1..=30,
            unit: DelayUnit::Seconds,
            max_in_flight: default_max_in_flight(),
            request_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            grace: Duration::from_secs(5),
            fail_rate: 0.0,
            retry_after: 1,
            seed: None,
        }
    }
}

/// How many descriptors the server keeps out of `max_in_flight`'s reach,
/// given the process's limit: for the listener, the standard streams, the
/// runtime's own, and the connections being answered 503 and closed.
fn headroom(file_limit: usize) -> usize {
    (file_limit / 10).max(64)
}

/// The default of [`Config::max_in_flight`]: the process's soft limit on
/// open files less a headroom of a tenth (at least 64), so that requests
/// over it get a quick 503 while descriptors remain to accept them.
///
/// The limit is read from `/proc/self/limits`; where that cannot be read,
/// 1,024 is assumed, the common soft limit.
pub fn default_max_in_flight() -> usize {
    let limit = open_file_limit().unwrap_or(1024);
    limit.saturating_sub(headroom(limit)).max(1)
}

/// The soft limit on open files (`ulimit -n`), if the system tells it.
pub fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line["Max open files".len()..].split_whitespace().next()?;
    // "unlimited" never appears for files on Linux; treat it as no clue.
    soft.parse().ok()
}

/// The body of a `/aio` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delay {
    /// How long the server slept, in its configured unit.
    pub delay: u64,
}

/// Which requests a server with a [`Config::fail_rate`] fails: a seeded
/// random draw per request, in the order the requests arrive.
///
/// A seeded draw rather than a fixed pattern (every second request, say),
/// so that the failures of a run look like a real outage's, and clients
/// that retry in step do not always land on the same answers; the seed
/// makes a run reproducible: a test that sends requests one after
/// another knows exactly which get 503.
#[derive(Debug, Clone)]
pub struct FailPlan {
    rate: f64,
    rng: fastrand::Rng,
}

impl FailPlan {
    /// A plan failing `rate` of the requests (clamped to `0.0..=1.0`),
    /// drawn from `seed`, or from a fresh seed without one.
    pub fn new(rate: f64, seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        FailPlan {
            rate: rate.clamp(0.0, 1.0),
            rng,
        }
    }

    /// Whether the next request fails. A rate of 0 never fails and 1
    /// always does, whatever the draw.
    pub fn next_fails(&mut self) -> bool {
        // `f64()` is in [0, 1): `< 1.0` always holds, `< 0.0` never.
        self.rng.f64() < self.rate
    }
}

struct Shared {
    config: Config,
    in_flight: Semaphore,
    fails: Mutex<FailPlan>,
}

/// The routes: `GET /aio`; anything else is 404, other methods 405.
pub fn router(config: Config) -> Router {
    let in_flight = Semaphore::new(config.max_in_flight);
    let fails = Mutex::new(FailPlan::new(config.fail_rate, config.seed));
    let shared = Arc::new(Shared {
        config,
        in_flight,
        fails,
    });
    Router::new().route("/aio", get(aio)).with_state(shared)
}

async fn aio(State(shared): State<Arc<Shared>>) -> Response {
    // A flood gets a quick 503 instead of exhausting the server, and the
    // connection is closed so that its descriptor is free again.
    let Ok(_permit) = shared.in_flight.try_acquire() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONNECTION, "close")],
            "too many requests in flight\n",
        )
            .into_response();
    };
    let config = &shared.config;
    // A poisoned lock only means another request panicked mid-draw; the
    // plan itself is still whole.
    let fails = shared
        .fails
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .next_fails();
    if fails {
        // A shedding server answers at once, without doing the work.
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, config.retry_after.to_string())],
            "unavailable, retry later\n",
        )
            .into_response();
    }
    let delay = fastrand::u64(config.delay.clone());
    let work = async {
        tokio::time::sleep(config.unit.duration(delay)).await;
        Json(Delay { delay })
    };
    match async_kit::time::timeout(config.request_timeout, work).await {
        Ok(body) => body.into_response(),
        Err(_) => (StatusCode::GATEWAY_TIMEOUT, "request timed out\n").into_response(),
    }
}

/// How a server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections that finished within the grace period.
    pub finished: usize,
    /// Connections still open when the grace period ended, closed then.
    pub closed: usize,
}

/// Serves `/aio` on `listener` until `shutdown` completes; then stops
/// accepting, lets the requests in flight finish for up to
/// [`Config::grace`], and closes what remains.
///
/// Connections speak HTTP/1.1 with keep-alive. A client that half-closes
/// its side after a complete request (`nc -N`, socat) still gets its
/// answer. Failing to accept (out of descriptors, say) is retried after a
/// pause rather than ending the server.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<Stopped> {
    let grace = config.grace;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .half_close(true)
        .keep_alive(true);
    let service = TowerToHyperService::new(router(config));
    let stopping = CancellationToken::new();
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            // Reap finished connections as they go.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) if is_per_connection(&err) => continue,
                Err(_) => {
                    // Out of descriptors or memory: the connections being
                    // answered free some; try again shortly.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let connection = http.serve_connection(TokioIo::new(stream), service.clone());
        let stop = stopping.clone();
        connections.spawn(async move {
            let mut connection = pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stop.cancelled() => {
                    // Finish the request in flight, if any, then close.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    stopping.cancel();
    let mut finished = 0;
    let drained = async_kit::time::timeout(grace, async {
        while connections.join_next().await.is_some() {
            finished += 1;
        }
    })
    .await;
    let closed = if drained.is_ok() {
        0
    } else {
        connections.len()
    };
    connections.shutdown().await;
    Ok(Stopped { finished, closed })
}

/// Accept errors that concern one connection only, which the next accept
/// does not suffer.
fn is_per_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Starts the server on `127.0.0.1` on a free port, in the background.
/// Returns its address and a handle that stops it when dropped or sent to.
pub async fn spawn(
    config: Config,
) -> io::Result<(std::net::SocketAddr, tokio::sync::oneshot::Sender<()>)> {
    let listener = crate::bind(([127, 0, 0, 1], 0).into())?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, config, async move {
        let _ = stopped.await;
    }));
    Ok((addr, stop))
}

/// The `/aio` URL an example fetches from: `url` when the user gave one, or
/// else that of a server started in-process on a free port, answering after
/// `delay` milliseconds. Keep the returned sender alive while fetching:
/// dropping it stops the in-process server.
pub async fn url_or_spawn(
    url: Option<String>,
    delay: RangeInclusive<u64>,
) -> io::Result<(String, Option<tokio::sync::oneshot::Sender<()>>)> {
    let config = Config {
        delay,
        unit: DelayUnit::Millis,
        ..Config::default()
    };
    url_or_spawn_with(url, config).await
}

/// As [`url_or_spawn`], with the whole [`Config`] of the in-process server
/// (a fail rate, say); `config` is unused when the user gave a URL.
pub async fn url_or_spawn_with(
    url: Option<String>,
    config: Config,
) -> io::Result<(String, Option<tokio::sync::oneshot::Sender<()>>)> {
    if let Some(url) = url {
        return Ok((url, None));
    }
    let (addr, stop) = spawn(config).await?;
    Ok((format!("http://{addr}/aio"), Some(stop)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_plans_are_reproducible_and_respect_their_rate() {
        let draws = |rate, seed| {
            let mut plan = FailPlan::new(rate, Some(seed));
            (0..1000).map(|_| plan.next_fails()).collect::<Vec<_>>()
        };
        assert!(draws(0.0, 1).iter().all(|f| !f));
        assert!(draws(1.0, 1).iter().all(|f| *f));
        assert_eq!(draws(0.5, 7), draws(0.5, 7));
        assert_ne!(draws(0.5, 7), draws(0.5, 8));
        let half = draws(0.5, 7).iter().filter(|f| **f).count();
        // A fair coin over 1,000 draws: 500 ± 50 is over three sigmas.
        assert!((450..=550).contains(&half), "{half}");
    }
}
