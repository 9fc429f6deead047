//! The low-level echo server: accept, then a read/write loop per connection.
//!
//! Recreates "协程模型回显服务器" (the coroutine echo server), where asyncio's
//! `sock_accept`, `sock_recv` and `sock_send` drive a raw socket. In tokio,
//! `TcpListener::accept` and `read`/`write_all` play those parts, and a task
//! per connection keeps one slow client from holding up the others.
//!
//! Run it with `cargo run --example echo_raw -- --addr 127.0.0.1:8000`, then
//! talk to it with `cargo run --example echo_client -- --addr 127.0.0.1:8000`.

use async_kit_examples::cli::Args;
use async_kit_examples::echo;
use lexopt::prelude::*;

const USAGE: &str =
    "usage: echo_raw [--addr 127.0.0.1:8000]\n\nEchoes every byte back; Ctrl-C stops it.";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut addr: std::net::SocketAddr = "127.0.0.1:8000".parse().expect("a valid address");
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("addr") => addr = args.value(),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    let listener = async_kit_examples::bind(addr)?;
    println!("raw echo on {}", listener.local_addr()?);
    echo::serve_raw(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
