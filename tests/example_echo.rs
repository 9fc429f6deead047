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

/// Reads until the server closes (end of file or reset), at most 10 s.
async fn until_closed(socket: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async_kit::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    seen
}

#[tokio::test]
async fn over_the_connection_limit_a_client_is_told_busy_and_closed() {
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

    // A second one is told at once, not left waiting.
    let mut second = TcpStream::connect(addr).await.unwrap();
    let answer = String::from_utf8(until_closed(&mut second).await).unwrap();
    assert_eq!(
        answer,
        "error: server busy (1 connections), try again later\n"
    );

    // Once the first leaves, its slot serves the next client.
    drop(first);
    let mut replies = None;
    for _ in 0..1000 {
        if let Ok(r) = echo::echo_lines(addr, &["two".to_string()]).await {
            replies = Some(r);
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(replies, Some(vec!["two".to_string()]));
}

#[tokio::test]
async fn lines_are_bytes_echoed_exactly_whatever_they_hold() {
    let (addr, _stop) = start_lines(LinesConfig::default()).await;
    let mut socket = TcpStream::connect(addr).await.unwrap();
    // 4 KiB of every byte value, newlines among them, not UTF-8, and an
    // unterminated rest that comes back when the client closes its side.
    let payload: Vec<u8> = (0..4096u32).map(|i| (i * 31 % 256) as u8).collect();
    assert!(std::str::from_utf8(&payload).is_err());
    assert_ne!(payload.last(), Some(&b'\n'));
    socket.write_all(&payload).await.unwrap();
    socket.shutdown().await.unwrap();
    assert_eq!(until_closed(&mut socket).await, payload);
}

#[tokio::test]
async fn an_overlong_line_is_answered_an_error_and_lines_before_it_echo() {
    let (addr, _stop) = start_lines(LinesConfig {
        max_line: 16,
        ..LinesConfig::default()
    })
    .await;
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"short\nthis line is far longer than sixteen bytes\n")
        .await
        .unwrap();
    let answer = String::from_utf8(until_closed(&mut socket).await).unwrap();
    assert_eq!(answer, "short\nerror: line longer than 16 bytes, closing\n");
}

#[tokio::test]
async fn a_line_dribbled_a_byte_at_a_time_is_closed_at_the_line_timeout() {
    let (addr, _stop) = start_lines(LinesConfig {
        idle: Duration::from_millis(200),
        ..LinesConfig::default()
    })
    .await;
    let mut socket = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 64];
    let closed = async_kit::time::timeout(Duration::from_secs(10), async {
        loop {
            tokio::select! {
                read = socket.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => panic!("echoed {n} bytes of an unfinished line"),
                },
                () = tokio::time::sleep(Duration::from_millis(20)) => {
                    if socket.write_all(b"x").await.is_err() {
                        return;
                    }
                }
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a dribbling client kept its connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_closed_at_the_write_timeout() {
    let (addr, _stop) = start_lines(LinesConfig {
        write_timeout: Duration::from_millis(200),
        ..LinesConfig::default()
    })
    .await;
    let mut socket = TcpStream::connect(addr).await.unwrap();
    // Send lines and never read the echoes: the buffers fill, the server's
    // write stalls, and it closes the connection, so our writes fail.
    let line = vec![b'a'; 16 * 1024 - 1]
        .into_iter()
        .chain([b'\n'])
        .collect::<Vec<u8>>();
    let failed = async_kit::time::timeout(Duration::from_secs(30), async {
        for _ in 0..100_000 {
            if socket.write_all(&line).await.is_err() {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        failed,
        Ok(true),
        "the server kept a client that never reads"
    );
}
