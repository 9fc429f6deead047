//! The tutorial's `/aio` server: `GET /aio` sleeps a random delay and
//! answers `{"delay": N}`.
//!
//! Every other example fetches from it. The original (aiohttp.web) slept
//! 1 to 30 seconds; the range and its unit are configurable so tests and the
//! tour can use milliseconds.

use std::future::Future;
use std::io;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

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
    /// At most this many requests are handled at once; others get 503.
    pub max_in_flight: usize,
    /// A request that takes longer gets 504.
    pub request_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            delay: 1..=30,
            unit: DelayUnit::Seconds,
            max_in_flight: 20_000,
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// The body of a `/aio` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delay {
    /// How long the server slept, in its configured unit.
    pub delay: u64,
}

struct Shared {
    config: Config,
    in_flight: Semaphore,
}

/// The routes: `GET /aio`; anything else is 404, other methods 405.
pub fn router(config: Config) -> Router {
    let in_flight = Semaphore::new(config.max_in_flight);
    let shared = Arc::new(Shared { config, in_flight });
    Router::new().route("/aio", get(aio)).with_state(shared)
}

async fn aio(State(shared): State<Arc<Shared>>) -> Response {
    // A flood gets a quick 503 instead of exhausting the server.
    let Ok(_permit) = shared.in_flight.try_acquire() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many requests in flight\n",
        )
            .into_response();
    };
    let config = &shared.config;
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

/// Serves `/aio` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router(config))
        .with_graceful_shutdown(shutdown)
        .await
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
    if let Some(url) = url {
        return Ok((url, None));
    }
    let config = Config {
        delay,
        unit: DelayUnit::Millis,
        ..Config::default()
    };
    let (addr, stop) = spawn(config).await?;
    Ok((format!("http://{addr}/aio"), Some(stop)))
}
