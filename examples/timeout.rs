//! The tutorial's timeout decorator, as an attribute.
//!
//! Recreates "协程超时-装饰器" (the coroutine timeout decorator): a fetch that
//! sleeps a random time is bounded by `#[timeout]`, and a caller's deadline
//! propagates into the fetches it makes.
//!
//! Run it with `cargo run --example timeout`.

use std::time::Duration;

use async_kit::{Elapsed, timeout};

/// A stand-in for an HTTP request that takes `delay` to answer.
// `#[timeout]` turns `-> Duration` into `-> Result<Duration, Elapsed>`, so a
// caller cannot forget that the call may time out.
#[timeout(300ms)]
async fn fetch(delay: Duration) -> Duration {
    tokio::time::sleep(delay).await;
    delay
}

// The batch has its own, shorter budget than the sum of its fetches: every
// fetch inside sees the batch's deadline and stops with it.
#[timeout(500ms)]
async fn batch(delays: &[u64]) -> Vec<Result<Duration, Elapsed>> {
    let mut results = Vec::new();
    for &ms in delays {
        results.push(fetch(Duration::from_millis(ms)).await);
    }
    results
}

#[tokio::main]
async fn main() {
    for ms in [100, 250, 400] {
        match fetch(Duration::from_millis(ms)).await {
            Ok(took) => println!("fetch({ms}ms): answered after {took:?}"),
            Err(err) => println!("fetch({ms}ms): {err}"),
        }
    }

    match batch(&[200, 200, 200]).await {
        Ok(results) => {
            for (i, r) in results.iter().enumerate() {
                match r {
                    Ok(took) => println!("batch fetch {i}: answered after {took:?}"),
                    Err(err) => println!("batch fetch {i}: {err}"),
                }
            }
        }
        Err(err) => println!("batch: {err}"),
    }
}
