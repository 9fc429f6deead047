//! The `/aio` server every fetcher example talks to.
//!
//! Recreates "aiohttp.web 简单的异步web服务器": `GET /aio` sleeps a random
//! whole number of seconds in 1..=30 and answers `{"delay": N}`. Unknown
//! paths get 404, other methods 405. Ctrl-C stops it after the requests in
//! flight finish, waiting at most the grace period; a second Ctrl-C stops it
//! at once.
//!
//! Run it with `cargo run --example aio_server -- --help`.

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use async_kit_examples::aio::{self, Config, DelayUnit};
use async_kit_examples::cli::{
    Args, parse_duration, parse_fraction, parse_positive, parse_positive_duration, parse_range,
};
use lexopt::prelude::*;

const USAGE: &str = "\
usage: aio_server [--addr 127.0.0.1:3000] [--delay 1..30] [--delay-unit s|ms]
                  [--max-in-flight N] [--request-timeout 60s]
                  [--header-timeout 10s] [--grace 5s]
                  [--fail-rate 0] [--retry-after 1] [--seed N]

Serves GET /aio, which sleeps a random delay from the range and answers
{\"delay\": N} in the given unit.

  --addr             host:port to listen on (a name such as localhost:3000
                     is resolved; its first address is used)
  --max-in-flight    requests answered at once; more get 503 and are closed.
                     Default: the open-file limit (ulimit -n) less a tenth
                     (at least 64), so the 503 comes before descriptors run out
  --request-timeout  a request that takes longer gets 504
  --header-timeout   a connection must send a complete request head within
                     this time of opening or of its last answer, or it is
                     closed (silent, idle keep-alive and slow clients alike)
  --grace            on Ctrl-C, how long requests in flight may take to
                     finish before their connections are closed; a second
                     Ctrl-C stops at once
  --fail-rate        fraction of /aio requests (0 to 1) answered at once with
                     503 and a Retry-After header, for retrying clients
  --retry-after      the Retry-After of those 503s, in whole seconds; 0 lets
                     clients use their own backoff. Default 1
  --seed             seeds the draw of which requests fail: the n-th request
                     fails exactly as in every run with this seed";

fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    let mut addrs = text
        .to_socket_addrs()
        .map_err(|e| format!("invalid address {text:?}: {e} (expected host:port)"))?;
    addrs
        .next()
        .ok_or_else(|| format!("{text:?} resolves to no address"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut addr: SocketAddr = "127.0.0.1:3000".parse().expect("a valid address");
    let mut config = Config::default();
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("addr") => addr = args.value_with(parse_addr),
            Long("delay") => config.delay = args.value_with(parse_range),
            Long("delay-unit") => {
                config.unit = args.value_with(|unit| match unit {
                    "s" => Ok(DelayUnit::Seconds),
                    "ms" => Ok(DelayUnit::Millis),
                    other => Err(format!("unknown unit {other:?}: expected s or ms")),
                })
            }
            Long("max-in-flight") => config.max_in_flight = args.value_with(parse_positive),
            Long("request-timeout") => {
                config.request_timeout = args.value_with(parse_positive_duration)
            }
            Long("header-timeout") => {
                config.header_timeout = args.value_with(parse_positive_duration)
            }
            Long("grace") => config.grace = args.value_with(parse_duration),
            Long("fail-rate") => config.fail_rate = args.value_with(parse_fraction),
            Long("retry-after") => config.retry_after = args.value(),
            Long("seed") => config.seed = Some(args.value()),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }

    let listener = match async_kit_examples::bind(addr) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!(
                "error: {}",
                async_kit_examples::describe_bind_error(addr, &err)
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(addr);
    println!(
        "listening on http://{addr}/aio (delays {:?} {}, at most {} in flight, {:.0}% answered 503)",
        config.delay,
        match config.unit {
            DelayUnit::Seconds => "s",
            DelayUnit::Millis => "ms",
        },
        config.max_in_flight,
        config.fail_rate * 100.0,
    );
    let grace = config.grace;
    let served = aio::serve(listener, config, async move {
        let _ = tokio::signal::ctrl_c().await;
        println!(
            "shutting down: letting requests in flight finish (at most {grace:?}; Ctrl-C again to stop now)"
        );
        tokio::spawn(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("stopped at once");
            std::process::exit(130);
        });
    })
    .await;
    match served {
        Ok(stopped) => {
            println!(
                "stopped: {} connections finished, {} closed at the end of the grace period",
                stopped.finished, stopped.closed
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
