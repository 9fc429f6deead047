//! Load on the `/aio` server: 10,000 requests in flight at once on loopback.
//!
//! The server runs in a child process (this same binary, started with
//! `ASYNC_KIT_AIO_SERVE=1`), because one process here may open only about
//! 20,000 files and each side of the test holds 10,000 sockets. Every request
//! sleeps a random delay in 1000..=2000 ms (quick mode: 300..=600 ms), so if
//! the server really holds them all at once, the whole run takes about the
//! longest delay. Reports:
//!
//! - `wall vs longest delay`: wall time of the run ÷ the longest delay
//!   (1.00 is ideal; the rest is connecting and answering 10,000 clients);
//! - the server's resident memory per request in flight (RSS at the peak
//!   minus RSS before the run, divided by the requests).
//!
//! `cargo bench -p async-kit-benches --bench aio_load`

mod harness;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_kit_examples::aio::{self, Config, DelayUnit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

const REQUESTS: usize = 10_000;
const SERVE: &str = "ASYNC_KIT_AIO_SERVE";

/// The child: serves `/aio` until its stdin closes.
fn serve(low: u64, high: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = async_kit_examples::bind(([127, 0, 0, 1], 0).into()).expect("bind");
        println!("{}", listener.local_addr().expect("addr"));
        std::io::stdout().flush().expect("flush");
        let config = Config {
            delay: low..=high,
            unit: DelayUnit::Millis,
            max_in_flight: 2 * REQUESTS,
            request_timeout: Duration::from_secs(60),
            ..Config::default()
        };
        let stdin_closed = async {
            let mut sink = Vec::new();
            let _ = tokio::io::stdin().read_to_end(&mut sink).await;
        };
        aio::serve(listener, config, stdin_closed)
            .await
            .expect("serve");
    });
}

/// Resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// One request over a fresh connection; true when it got `200` and a delay.
async fn request(addr: SocketAddr, connecting: &Semaphore) -> bool {
    // Connect a thousand at a time, so the accept queue never overflows
    // (an overflow costs a one-second SYN retry and would blur the figure).
    let permit = connecting.acquire().await.expect("open");
    let Ok(mut socket) = TcpStream::connect(addr).await else {
        return false;
    };
    let sent = socket
        .write_all(b"GET /aio HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await;
    drop(permit);
    if sent.is_err() {
        return false;
    }
    let mut answer = Vec::with_capacity(256);
    if socket.read_to_end(&mut answer).await.is_err() {
        return false;
    }
    let answer = String::from_utf8_lossy(&answer);
    answer.starts_with("HTTP/1.1 200") && answer.contains("{\"delay\":")
}

fn main() {
    let (low, high) = if harness::quick() {
        (300, 600)
    } else {
        (1000, 2000)
    };
    if std::env::var_os(SERVE).is_some() {
        return serve(low, high);
    }
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .env(SERVE, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("server address");
    let addr: SocketAddr = line.trim().parse().expect("address");
    let pid = child.id();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let before = rss(pid);
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let running = running.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while running.load(Ordering::Relaxed) {
                peak = peak.max(rss(pid));
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        })
    };
    let (took, answered) = rt.block_on(async {
        let connecting = Arc::new(Semaphore::new(1000));
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..REQUESTS {
            let connecting = connecting.clone();
            tasks.spawn(async move { request(addr, &connecting).await });
        }
        let mut answered = 0;
        while let Some(ok) = tasks.join_next().await {
            answered += usize::from(ok.unwrap_or(false));
        }
        (start.elapsed(), answered)
    });
    running.store(false, Ordering::Relaxed);
    let peak = sampler.join().expect("sampler");
    drop(child.stdin.take());
    let _ = child.wait();

    let longest = Duration::from_millis(high);
    println!(
        "aio_load {REQUESTS} in flight[mt2]: wall vs longest delay = {:.2} ({:.2?} vs {:.2?}; {answered} of {REQUESTS} answered 200)",
        took.as_secs_f64() / longest.as_secs_f64(),
        took,
        longest,
    );
    println!(
        "aio_load {REQUESTS} in flight[mt2]: server memory per request in flight = {:.1} KiB (RSS {:.1} MiB before, {:.1} MiB at the peak)",
        peak.saturating_sub(before) as f64 / 1024.0 / REQUESTS as f64,
        before as f64 / (1 << 20) as f64,
        peak as f64 / (1 << 20) as f64,
    );
    assert_eq!(answered, REQUESTS, "every request is answered");
}
