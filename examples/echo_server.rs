//! The high-level echo server: line framing, timeouts, a connection limit.
//!
//! Recreates "协程模型回显服务器(二)", where `asyncio.start_server` replaces the
//! raw socket. Lines are bytes up to a newline, echoed exactly; every read
//! and write is bounded by an async-kit timeout (a silent or stalled client
//! is dropped, not kept forever), and at most `--max-connections` clients are
//! served at once; one more is told the server is busy.
//!
//! Run it with `cargo run --example echo_server -- --help`.

use async_kit_examples::cli::{Args, parse_positive, parse_positive_duration};
use async_kit_examples::echo::{self, LinesConfig};
use lexopt::prelude::*;

const USAGE: &str = "\
usage: echo_server [--addr 127.0.0.1:8001] [--idle 30s] [--write-timeout 10s]
                   [--max-connections 1024] [--max-line 65536]

Echoes each line (bytes up to a newline, any bytes) back exactly.

  --idle             each line must arrive complete within this time of the
                     previous one (or of connecting), or the connection closes
  --write-timeout    each echo must be written within this time (a client
                     that never reads is closed)
  --max-connections  clients served at once; one more gets
                     \"error: server busy ...\" and is closed
  --max-line         the longest line in bytes, newline included; a longer
                     one gets \"error: line longer than ...\" and is closed";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut addr: std::net::SocketAddr = "127.0.0.1:8001".parse().expect("a valid address");
    let mut config = LinesConfig::default();
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("addr") => addr = args.value(),
            Long("idle") => config.idle = args.value_with(parse_positive_duration),
            Long("write-timeout") => {
                config.write_timeout = args.value_with(parse_positive_duration)
            }
            Long("max-connections") => config.max_connections = args.value_with(parse_positive),
            Long("max-line") => config.max_line = args.value_with(parse_positive),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    let listener = async_kit_examples::bind(addr)?;
    println!(
        "line echo on {} (line timeout {:?}, write timeout {:?}, at most {} connections, lines up to {} bytes)",
        listener.local_addr()?,
        config.idle,
        config.write_timeout,
        config.max_connections,
        config.max_line
    );
    echo::serve_lines(listener, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
