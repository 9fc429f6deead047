//! The high-level echo server: line framing, idle timeouts, a connection
//! limit.
//!
//! Recreates "协程模型回显服务器(二)", where `asyncio.start_server` replaces the
//! raw socket. Here `tokio_util::codec::LinesCodec` frames the lines, every
//! read is bounded by an async-kit timeout (an idle client is dropped, not
//! kept forever), and at most `--max-connections` clients are served at once.
//!
//! Run it with `cargo run --example echo_server -- --help`.

use async_kit_examples::cli::{Args, parse_duration};
use async_kit_examples::echo::{self, LinesConfig};
use lexopt::prelude::*;

const USAGE: &str = "\
usage: echo_server [--addr 127.0.0.1:8001] [--idle 30s] [--max-connections 1024]

Echoes each line back; closes connections idle for longer than --idle.";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut addr: std::net::SocketAddr = "127.0.0.1:8001".parse().expect("a valid address");
    let mut config = LinesConfig::default();
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("addr") => addr = args.value(),
            Long("idle") => config.idle = args.value_with(parse_duration),
            Long("max-connections") => config.max_connections = args.value(),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    let listener = async_kit_examples::bind(addr)?;
    println!(
        "line echo on {} (idle timeout {:?}, at most {} connections)",
        listener.local_addr()?,
        config.idle,
        config.max_connections
    );
    echo::serve_lines(listener, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
