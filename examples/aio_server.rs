//! The `/aio` server every fetcher example talks to.
//!
//! Recreates "aiohttp.web 简单的异步web服务器": `GET /aio` sleeps a random
//! whole number of seconds in 1..=30 and answers `{"delay": N}`. Unknown
//! paths get 404, other methods 405; Ctrl-C stops it after the requests in
//! flight finish.
//!
//! Run it with `cargo run --example aio_server -- --help`.

use async_kit_examples::aio::{self, Config, DelayUnit};
use async_kit_examples::cli::{Args, parse_duration, parse_range};
use lexopt::prelude::*;

const USAGE: &str = "\
usage: aio_server [--addr 127.0.0.1:3000] [--delay 1..30] [--delay-unit s|ms]
                  [--max-in-flight 20000] [--request-timeout 60s]

Serves GET /aio, which sleeps a random delay from the range and answers
{\"delay\": N} in the given unit.";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut addr: std::net::SocketAddr = "127.0.0.1:3000".parse().expect("a valid address");
    let mut config = Config::default();
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("addr") => addr = args.value(),
            Long("delay") => config.delay = args.value_with(parse_range),
            Long("delay-unit") => {
                config.unit = args.value_with(|unit| match unit {
                    "s" => Ok(DelayUnit::Seconds),
                    "ms" => Ok(DelayUnit::Millis),
                    other => Err(format!("unknown unit {other:?}: expected s or ms")),
                })
            }
            Long("max-in-flight") => config.max_in_flight = args.value(),
            Long("request-timeout") => config.request_timeout = args.value_with(parse_duration),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }

    let listener = async_kit_examples::bind(addr)?;
    println!(
        "listening on http://{}/aio (delays {:?} {})",
        listener.local_addr()?,
        config.delay,
        match config.unit {
            DelayUnit::Seconds => "s",
            DelayUnit::Millis => "ms",
        }
    );
    aio::serve(listener, config, async {
        let _ = tokio::signal::ctrl_c().await;
        println!("shutting down: letting requests in flight finish");
    })
    .await
}
