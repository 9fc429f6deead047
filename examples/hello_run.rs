//! The shortest program: `#[tokio::main]` plays `asyncio.run`.
//!
//! Recreates "python3.7中asyncio协程回显示例": two coroutines run
//! concurrently under one entry point, and the whole run takes as long as
//! the slower one.
//!
//! Run it with `cargo run --example hello_run`.

use std::time::{Duration, Instant};

async fn say(what: &str, delay: Duration) -> String {
    tokio::time::sleep(delay).await;
    format!("{what} after {delay:?}")
}

#[tokio::main]
async fn main() {
    let start = Instant::now();
    let (a, b) = tokio::join!(
        say("hello", Duration::from_millis(100)),
        say("world", Duration::from_millis(200))
    );
    println!(
        "{a}\n{b}\ntook about {:?} (the slower one)",
        start.elapsed()
    );
}
