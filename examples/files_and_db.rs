//! Async file and database I/O that never blocks the runtime.
//!
//! Recreates "异步文件读写及异步数据库操作": results are appended to a log file
//! with `tokio::fs`, stored in a SQLite database (created on first run) whose
//! queries run off the async workers, and read back with a query.
//!
//! Run it with `cargo run --example files_and_db -- --dir /tmp/async-kit`.

use std::path::PathBuf;

use async_kit_examples::cli::Args;
use async_kit_examples::store::{self, Db};
use lexopt::prelude::*;

const USAGE: &str = "\
usage: files_and_db [--dir DIR] [--rows 10]

Writes DIR/fetches.log and DIR/fetches.db (created on first run), then reads
both back. DIR defaults to the system's temporary directory.";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut dir: PathBuf = std::env::temp_dir().join("async-kit-files-and-db");
    let mut rows: u64 = 10;
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("dir") => dir = args.value(),
            Long("rows") => rows = args.value(),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    tokio::fs::create_dir_all(&dir).await?;

    // Simulated fetch results: (url, delay).
    let results: Vec<(String, u64)> = (0..rows)
        .map(|i| {
            (
                format!("http://127.0.0.1:3000/aio?i={i}"),
                fastrand::u64(1..=30),
            )
        })
        .collect();

    let log = dir.join("fetches.log");
    let lines: Vec<String> = results.iter().map(|(u, d)| format!("{u} {d}")).collect();
    store::append_lines(&log, &lines).await?;
    println!("appended {} lines to {}", lines.len(), log.display());
    println!(
        "the log now has {} lines",
        store::read_lines(&log).await?.len()
    );

    let db = Db::open(dir.join("fetches.db")).await?;
    // The inserts run concurrently; each waits for the database off the workers.
    let ids = futures::future::try_join_all(results.iter().map(|(u, d)| db.insert(u, *d))).await?;
    println!("inserted {} rows into {}", ids.len(), db.path().display());
    let slow = db.slower_than(20).await?;
    println!("{} stored fetches took 20 s or more:", slow.len());
    for row in slow.iter().take(5) {
        println!("  #{} {} ({} s)", row.id, row.url, row.delay);
    }
    Ok(())
}
