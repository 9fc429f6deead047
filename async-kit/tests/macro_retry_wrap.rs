//! `#[retry(wrap)]`: the fn returns `Result<T, RetryError<E>>`, so the
//! caller learns why the retry gave up, after how many attempts, and still
//! gets the last error. Paused clock throughout.

use std::time::Duration;

use async_kit::retry::{Reason, RetryError, attempt};
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

#[retry(wrap, attempts = 3, backoff = constant(100ms))]
async fn flaky(ok_at: u32) -> Result<u32, AppError> {
    let n = attempt().unwrap();
    if n < ok_at {
        Err(AppError::Busy(n))
    } else {
        Ok(n)
    }
}

#[tokio::test(start_paused = true)]
async fn wrap_passes_a_success_through() {
    let start = Instant::now();
    let out: Result<u32, RetryError<AppError>> = flaky(2).await;
    assert_eq!(out, Ok(2));
    assert_eq!(start.elapsed(), ms(100));
}

#[tokio::test(start_paused = true)]
async fn wrap_says_the_attempts_ran_out_and_keeps_the_last_error() {
    let start = Instant::now();
    let err = flaky(9).await.unwrap_err();
    assert_eq!(err.reason(), Reason::Exhausted);
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.into_inner(), AppError::Busy(3));
    assert_eq!(start.elapsed(), ms(200));
}

#[retry(wrap, when = |e: &AppError| *e != AppError::Fatal, backoff = constant(1ms))]
async fn fatal() -> Result<(), AppError> {
    Err(AppError::Fatal)
}

#[tokio::test(start_paused = true)]
async fn wrap_says_the_predicate_refused() {
    let err = fatal().await.unwrap_err();
    assert_eq!(err.reason(), Reason::Rejected);
    assert_eq!(err.attempts(), 1);
}

#[tokio::test(start_paused = true)]
async fn wrap_says_the_deadline_stopped_it() {
    // 250 ms of the caller's deadline: attempts at 0, 100 and 200 ms; the
    // fourth would start at 300 ms, past the deadline, so the retry gives up
    // at 200 ms, before the caller's timeout fires, and says why.
    #[retry(wrap, attempts = 10, backoff = constant(100ms))]
    async fn long() -> Result<(), AppError> {
        Err(AppError::Busy(attempt().unwrap()))
    }
    let start = Instant::now();
    let err = async_kit::time::timeout(ms(250), long())
        .await
        .expect("the retry gives up before the timeout fires")
        .unwrap_err();
    assert_eq!(err.reason(), Reason::Deadline);
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.into_inner(), AppError::Busy(3));
    assert_eq!(start.elapsed(), ms(200));
}

// `#[retry(wrap)]` above `#[timeout]`: each attempt is bounded, a timed-out
// attempt is an `Err(AppError::Timeout)` the retry sees, and the caller
// gets the `RetryError` around it.
#[retry(wrap, attempts = 2, backoff = constant(5ms))]
#[timeout(20ms)]
async fn slow() -> Result<(), AppError> {
    sleep(ms(1000)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn wrap_above_timeout_bounds_each_attempt() {
    let start = Instant::now();
    let err = slow().await.unwrap_err();
    assert_eq!(err.reason(), Reason::Exhausted);
    assert_eq!(err.attempts(), 2);
    assert_eq!(err.into_inner(), AppError::Timeout);
    assert_eq!(start.elapsed(), ms(45));
}

// With `policy = ..` (or `budget`), the expansion takes the general form;
// `wrap` applies there too.
#[retry(wrap, policy = async_kit::retry::Policy::constant(ms(10)).max_attempts(2))]
async fn with_policy() -> Result<(), AppError> {
    Err(AppError::Busy(attempt().unwrap()))
}

#[tokio::test(start_paused = true)]
async fn wrap_with_a_policy_expression() {
    let start = Instant::now();
    let err = with_policy().await.unwrap_err();
    assert_eq!(err.reason(), Reason::Exhausted);
    assert_eq!(err.attempts(), 2);
    assert_eq!(err.into_inner(), AppError::Busy(2));
    assert_eq!(start.elapsed(), ms(10));
}
