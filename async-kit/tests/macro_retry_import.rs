//! `#[retry]` above an imported `#[timeout]` leaves no unused import.
#![deny(unused_imports)]

use async_kit::{Elapsed, retry, timeout};

#[derive(Debug, PartialEq)]
struct Slow;

impl From<Elapsed> for Slow {
    fn from(_: Elapsed) -> Self {
        Slow
    }
}

#[retry(attempts = 2, backoff = constant(1ms))]
#[timeout(10ms)]
async fn bounded() -> Result<(), Slow> {
    std::future::pending::<()>().await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_imported_timeout_counts_as_used() {
    assert_eq!(bounded().await, Err(Slow));
}
