//! The echo servers on loopback: every byte comes back, idle clients are
//! dropped, the connection limit holds.

use std::net::SocketAddr;
use std::time::Duration;

use async_kit_examples::echo::{self, LinesConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

async fn start_raw() -> (SocketAddr, oneshot::Sender<()>) {
    let listener = async_kit_examples::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(echo::serve_raw(listener, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

async fn start_lines(config: LinesConfig) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = async_kit_examples::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(echo::serve_lines(listener, config, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_server_echoes_every_byte_to_1000_clients() {
    let (addr, _stop) = start_raw().await;
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..1000u32 {
        clients.spawn(async move {
            let mut socket = TcpStream::connect(addr).await.unwrap();
            let payload: Vec<u8> = (0..2000u32).map(|i| (i * 7 + c) as u8).collect();
            let (mut read, mut write) = socket.split();
            let send = async {
                write.write_all(&payload).await.unwrap();
                write.shutdown().await.unwrap();
            };
            let mut echoed = Vec::new();
            let receive = read.read_to_end(&mut echoed);
            let ((), received) = tokio::join!(send, receive);
            received.unwrap();
            echoed == payload
        });
    }
    let mut ok = 0;
    while let Some(result) = clients.join_next().await {
        ok += usize::from(result.unwrap());
    }
    assert_eq!(ok, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_server_echoes_every_line_to_1000_clients() {
    let (addr, _stop) = start_lines(LinesConfig::default()).await;
    let report = echo::load(addr, 1000, 5).await;
    assert_eq!(report.clients, 1000);
    assert_eq!(report.echoed, 5000);
    assert_eq!(report.failed, 0);
}

#[tokio::test]
async fn idle_clients_are_dropped() {
    let (addr, _stop) = start_lines(LinesConfig {
        idle: Duration::from_millis(50),
        ..LinesConfig::default()
    })
    .await;
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 16];
    // The server closes the idle connection: the read sees end of stream.
    let n = async_kit::time::timeout(Duration::from_secs(10), socket.read(&mut buf))
        .await
        .expect("the server closes idle connections")
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn the_connection_limit_holds_a_second_client_until_the_first_leaves() {
    let (addr, _stop) = start_lines(LinesConfig {
        max_connections: 1,
        ..LinesConfig::default()
    })
    .await;
    // The first client is served.
    let mut first = TcpStream::connect(addr).await.unwrap();
    first.write_all(b"one\n").await.unwrap();
    let mut buf = [0u8; 4];
    first.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"one\n");

    // A second client is accepted by the kernel but not served...
    let second = tokio::spawn(async move { echo::echo_lines(addr, &["two".to_string()]).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!second.is_finished(), "served while the limit was reached");
    // ...until the first one leaves.
    drop(first);
    let replies = second.await.unwrap().unwrap();
    assert_eq!(replies, vec!["two".to_string()]);
}
