//! The raw echo server (`async_kit_examples::echo::serve_raw`) against a bare
//! tokio echo loop, both on loopback in the same process: 100 clients each
//! send a block of bytes and read every byte back. Ratio per echoed KiB.
//!
//! `cargo bench -p async-kit-benches --bench echo`

mod harness;

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use harness::{Case, compare, quick, runtimes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CLIENTS: usize = 100;

/// The loop tokio's README shows: read into a buffer, write it back.
async fn bare_echo(listener: TcpListener) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if socket.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
}

/// `CLIENTS` clients, each sending `bytes` and reading them all back.
async fn clients(addr: SocketAddr, bytes: usize) -> Duration {
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        tasks.spawn(async move {
            let socket = TcpStream::connect(addr).await.expect("connect");
            socket.set_nodelay(true).expect("nodelay");
            let (mut read, mut write) = socket.into_split();
            let block = vec![c as u8; bytes];
            let writer = tokio::spawn(async move {
                write.write_all(&block).await.expect("write");
                write.shutdown().await.expect("shutdown");
            });
            let mut back = Vec::with_capacity(bytes);
            read.read_to_end(&mut back).await.expect("read");
            writer.await.expect("writer");
            assert_eq!(back.len(), bytes, "every byte comes back");
            assert!(back.iter().all(|&b| b == c as u8));
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("client");
    }
    start.elapsed()
}

fn start<F: Future<Output = ()> + Send + 'static>(
    rt: &tokio::runtime::Runtime,
    serve: impl FnOnce(TcpListener) -> F,
) -> SocketAddr {
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(serve(listener));
    addr
}

fn main() {
    let bytes = if quick() { 64 * 1024 } else { 256 * 1024 };
    let kib = (CLIENTS * bytes / 1024) as u64;
    for (rt_name, rt) in runtimes() {
        let rt = &rt;
        let ours = start(rt, |listener| async move {
            let _ = async_kit_examples::echo::serve_raw(listener, std::future::pending()).await;
        });
        let bare = start(rt, bare_echo);
        compare(
            &format!("echo 100 clients, per KiB[{rt_name}]"),
            vec![
                Case::batch("echo::serve_raw", kib, || rt.block_on(clients(ours, bytes))),
                Case::batch("bare tokio echo loop", kib, || {
                    rt.block_on(clients(bare, bytes))
                }),
            ],
        );
    }
}
