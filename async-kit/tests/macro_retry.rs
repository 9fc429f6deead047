//! `#[retry]`: behaviour under tokio's paused clock, alone and stacked with
//! `#[timeout]`, `#[async_trait]` and `#[tracing::instrument]`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_kit::retry::{Policy, attempt};
use async_kit::{Elapsed, retry, timeout};
use tokio::time::{Instant, sleep};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[derive(Debug, PartialEq, Eq)]
enum AppError {
    Busy(u32),
    Fatal,
    Timeout,
}

impl From<Elapsed> for AppError {
    fn from(_: Elapsed) -> Self {
        AppError::Timeout
    }
}

/// Fails with `Busy(n)` until attempt `ok_at`.
#[retry(attempts = 5, backoff = constant(100ms))]
async fn flaky(ok_at: u32) -> Result<u32, AppError> {
    let n = attempt().unwrap();
    if n < ok_at {
        Err(AppError::Busy(n))
    } else {
        Ok(n)
    }
}

#[tokio::test(start_paused = true)]
async fn retries_until_success() {
    let start = Instant::now();
    assert_eq!(flaky(3).await, Ok(3));
    assert_eq!(start.elapsed(), ms(200));
}

#[tokio::test(start_paused = true)]
async fn gives_back_the_last_error() {
    let start = Instant::now();
    assert_eq!(flaky(99).await, Err(AppError::Busy(5)));
    assert_eq!(start.elapsed(), ms(400));
}

#[retry(attempts = 4, backoff = constant(1ms), when = |e: &AppError| *e != AppError::Fatal)]
async fn fatal_on_second(calls: &AtomicU32) -> Result<(), AppError> {
    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
        Err(AppError::Busy(1))
    } else {
        Err(AppError::Fatal)
    }
}

#[tokio::test(start_paused = true)]
async fn when_stops_on_a_fatal_error() {
    let calls = AtomicU32::new(0);
    assert_eq!(fatal_on_second(&calls).await, Err(AppError::Fatal));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

static LOG: Mutex<Vec<(u32, Duration)>> = Mutex::new(Vec::new());

fn log(n: u32, _: &std::io::Error, delay: Duration) {
    LOG.lock().unwrap().push((n, delay));
}

#[retry(
    policy = Policy::exponential(ms(10)).max_delay(ms(25)).jitter(false).max_attempts(4),
    when = async_kit::retry::is_transient,
    on_retry = log,
)]
async fn refused(calls: &AtomicU32) -> std::io::Result<u32> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err(std::io::ErrorKind::ConnectionRefused.into())
}

#[tokio::test(start_paused = true)]
async fn policy_expression_predicate_and_hook() {
    let calls = AtomicU32::new(0);
    let err = refused(&calls).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(
        *LOG.lock().unwrap(),
        [(1, ms(10)), (2, ms(20)), (3, ms(25))]
    );
}

#[retry(backoff = constant(1s), retry_after = |e: &AppError| match e {
    AppError::Busy(n) => Some(Duration::from_millis(u64::from(*n) * 300)),
    _ => None,
})]
async fn busy_twice() -> Result<u32, AppError> {
    let n = attempt().unwrap();
    if n < 3 { Err(AppError::Busy(n)) } else { Ok(n) }
}

#[tokio::test(start_paused = true)]
async fn retry_after_hint_through_the_attribute() {
    let start = Instant::now();
    assert_eq!(busy_twice().await, Ok(3));
    // 300 ms after the first failure, 600 ms after the second.
    assert_eq!(start.elapsed(), ms(900));
}

#[retry(attempts = 3, backoff = constant(10ms))]
async fn early_return_and_question_mark(input: &str) -> Result<u32, AppError> {
    if input.is_empty() {
        return Err(AppError::Fatal);
    }
    let n: u32 = input
        .parse()
        .map_err(|_| AppError::Busy(attempt().unwrap()))?;
    Ok(n)
}

#[tokio::test(start_paused = true)]
async fn return_and_question_mark_end_one_attempt() {
    assert_eq!(early_return_and_question_mark("7").await, Ok(7));
    assert_eq!(
        early_return_and_question_mark("x").await,
        Err(AppError::Busy(3))
    );
    assert_eq!(
        early_return_and_question_mark("").await,
        Err(AppError::Fatal)
    );
}

// `#[timeout]` written first, outside: it bounds the whole retrying call.
#[timeout(1s)]
#[retry(attempts = 100, backoff = constant(300ms))]
async fn timeout_outside(calls: &AtomicU32) -> Result<(), AppError> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err(AppError::Busy(0))
}

// `#[retry]` written first, outside: each attempt has its own timeout.
#[retry(attempts = 3, backoff = constant(50ms))]
#[timeout(100ms)]
async fn timeout_inside(calls: &AtomicU32) -> Result<u32, AppError> {
    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
    // The first two attempts hang, the third is quick.
    if n < 3 {
        std::future::pending::<()>().await;
    }
    Ok(n)
}

#[tokio::test(start_paused = true)]
async fn timeout_outside_bounds_all_attempts() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    // Attempts at 0, 300, 600, 900 ms; the retry gives up at 900 ms (a fifth
    // would start past the deadline) and hands back the last error.
    assert_eq!(timeout_outside(&calls).await, Err(AppError::Busy(0)));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(start.elapsed(), ms(900));
}

#[tokio::test(start_paused = true)]
async fn timeout_inside_bounds_each_attempt() {
    let calls = AtomicU32::new(0);
    let start = Instant::now();
    // 100 ms timeout, 50 ms wait, twice, then a quick success.
    assert_eq!(timeout_inside(&calls).await, Ok(3));
    assert_eq!(start.elapsed(), ms(300));

    // Every attempt timing out gives the timeout as the last error.
    #[retry(attempts = 2, backoff = constant(1ms))]
    #[async_kit::timeout(10ms)]
    async fn always_slow() -> Result<(), AppError> {
        sleep(Duration::from_secs(1)).await;
        Ok(())
    }
    let start = Instant::now();
    assert_eq!(always_slow().await, Err(AppError::Timeout));
    assert_eq!(start.elapsed(), ms(21));
}

#[async_trait::async_trait]
trait Fetch {
    async fn fetch(&self, ok_at: u32) -> Result<u32, AppError>;
}

struct Client {
    calls: AtomicU32,
}

#[async_trait::async_trait]
impl Fetch for Client {
    #[retry(attempts = 3, backoff = constant(10ms))]
    async fn fetch(&self, ok_at: u32) -> Result<u32, AppError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n < ok_at {
            Err(AppError::Busy(n))
        } else {
            Ok(n)
        }
    }
}

#[tokio::test(start_paused = true)]
async fn inside_async_trait() {
    let client = Client {
        calls: AtomicU32::new(0),
    };
    assert_eq!(client.fetch(2).await, Ok(2));
    let dynamic: &dyn Fetch = &client;
    assert_eq!(dynamic.fetch(100).await, Err(AppError::Busy(5)));
    assert_eq!(client.calls.load(Ordering::SeqCst), 5);
}

#[retry(attempts = 3, backoff = constant(10ms))]
#[tracing::instrument]
async fn retry_then_instrument(ok_at: u32) -> Result<u32, AppError> {
    let n = attempt().unwrap();
    if n < ok_at {
        Err(AppError::Busy(n))
    } else {
        Ok(n)
    }
}

#[tracing::instrument]
#[retry(attempts = 3, backoff = constant(10ms))]
async fn instrument_then_retry(ok_at: u32) -> Result<u32, AppError> {
    let n = attempt().unwrap();
    if n < ok_at {
        Err(AppError::Busy(n))
    } else {
        Ok(n)
    }
}

#[tokio::test(start_paused = true)]
async fn stacked_with_tracing_instrument() {
    assert_eq!(retry_then_instrument(2).await, Ok(2));
    assert_eq!(retry_then_instrument(9).await, Err(AppError::Busy(3)));
    assert_eq!(instrument_then_retry(3).await, Ok(3));
    assert_eq!(instrument_then_retry(9).await, Err(AppError::Busy(3)));
}

#[tokio::test(start_paused = true)]
async fn deadline_of_a_caller_reaches_a_retrying_fn() {
    // A 250 ms budget from the caller: attempts at 0 and 100 ms, then the
    // next (at 200 ms) has less than the 60 ms minimum left.
    #[retry(attempts = 10, backoff = constant(100ms), min_budget = 60ms)]
    async fn tight() -> Result<(), AppError> {
        Err(AppError::Busy(attempt().unwrap()))
    }
    let start = Instant::now();
    let out = async_kit::time::timeout(ms(250), tight()).await;
    assert_eq!(out, Ok(Err(AppError::Busy(2))));
    assert_eq!(start.elapsed(), ms(100));
}
