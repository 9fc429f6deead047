//! An echo client: sends stdin lines and prints the replies, or, with
//! `--load N`, opens N concurrent clients and checks every echo.
//!
//! The client half of the tutorial's echo articles. Works with both
//! `echo_server` (lines) and `echo_raw` (bytes).
//!
//! Run it with `cargo run --example echo_client -- --addr 127.0.0.1:8001`,
//! or `cargo run --example echo_client -- --load 1000`.

use std::net::SocketAddr;

use async_kit_examples::cli::Args;
use async_kit_examples::echo;
use lexopt::prelude::*;
use tokio::io::{AsyncBufReadExt, BufReader};

const USAGE: &str = "\
usage: echo_client [--addr 127.0.0.1:8001] [--load CLIENTS] [--lines 10]

Without --load: sends each stdin line and prints the reply.
With --load: opens CLIENTS connections at once, sends --lines lines on each,
and checks every echo; exits 1 if any is wrong.";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut addr: SocketAddr = "127.0.0.1:8001".parse().expect("valid address");
    let mut load = None;
    let mut lines = 10;
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("addr") => addr = args.value(),
            Long("load") => load = Some(args.value()),
            Long("lines") => lines = args.value(),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }

    if let Some(clients) = load {
        let report = echo::load(addr, clients, lines).await;
        println!(
            "{} clients, {} lines echoed, {} failed",
            report.clients, report.echoed, report.failed
        );
        if report.failed > 0 {
            std::process::exit(1);
        }
        return Ok(());
    }

    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = stdin.next_line().await? {
        for reply in echo::echo_lines(addr, &[line]).await? {
            println!("{reply}");
        }
    }
    Ok(())
}
