//! Echo servers and clients: the tutorial's first and fourteenth articles.
//!
//! [`serve_raw`] is the low-level version (accept, then a read/write loop per
//! connection, as with `sock_accept`/`sock_recv`/`sock_send`); [`serve_lines`]
//! is the high-level one (line framing, idle timeouts and a connection limit,
//! as with `asyncio.start_server`).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LinesCodec};

/// Serves raw echo on `listener` until `shutdown` completes: every byte a
/// client sends comes back.
pub async fn serve_raw(
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (mut socket, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        // One task per connection: a slow client never holds up the others.
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

/// Settings of the line-framed server.
#[derive(Debug, Clone)]
pub struct LinesConfig {
    /// A connection that sends nothing for this long is closed.
    pub idle: Duration,
    /// At most this many connections are served at once; others wait in
    /// the accept queue.
    pub max_connections: usize,
    /// Longer lines close the connection.
    pub max_line: usize,
}

impl Default for LinesConfig {
    fn default() -> Self {
        LinesConfig {
            idle: Duration::from_secs(30),
            max_connections: 1024,
            max_line: 64 * 1024,
        }
    }
}

/// Serves line echo on `listener` until `shutdown` completes.
pub async fn serve_lines(
    listener: TcpListener,
    config: LinesConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    // The connection limit: a Limiter, resizable and with live figures,
    // where the tutorial would use an asyncio.Semaphore.
    let limit = async_kit::sync::Limiter::new(config.max_connections);
    tokio::pin!(shutdown);
    loop {
        // Wait for a free slot before accepting, so clients over the limit
        // wait in the kernel's accept queue instead of holding a task.
        let permit = tokio::select! {
            permit = limit.acquire_owned() => permit,
            () = &mut shutdown => return Ok(()),
        };
        let (socket, _) = tokio::select! {
            accepted = listener.accept() => accepted?,
            () = &mut shutdown => return Ok(()),
        };
        let config = config.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut lines = Framed::new(socket, LinesCodec::new_with_max_length(config.max_line));
            // Each read is bounded: an idle client is dropped, not kept forever.
            while let Ok(Some(Ok(line))) = async_kit::time::timeout(config.idle, lines.next()).await
            {
                if lines.send(line).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Sends each of `lines` to the line echo server at `addr` and returns the
/// replies.
pub async fn echo_lines(addr: SocketAddr, lines: &[String]) -> io::Result<Vec<String>> {
    let socket = TcpStream::connect(addr).await?;
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read).lines();
    let mut replies = Vec::with_capacity(lines.len());
    for line in lines {
        write.write_all(line.as_bytes()).await?;
        write.write_all(b"\n").await?;
        match read.next_line().await? {
            Some(reply) => replies.push(reply),
            None => return Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }
    Ok(replies)
}

/// What a load run saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Clients that connected.
    pub clients: usize,
    /// Lines echoed back exactly.
    pub echoed: usize,
    /// Lines that came back wrong or not at all.
    pub failed: usize,
}

/// Opens `clients` concurrent connections to the line echo server at `addr`,
/// sends `per_client` distinct lines on each, and checks every echo.
pub async fn load(addr: SocketAddr, clients: usize, per_client: usize) -> LoadReport {
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        tasks.spawn(async move {
            let lines: Vec<String> = (0..per_client)
                .map(|i| format!("client {c} line {i}"))
                .collect();
            match echo_lines(addr, &lines).await {
                Ok(replies) => {
                    let ok = replies.iter().zip(&lines).filter(|(a, b)| a == b).count();
                    (ok, per_client - ok)
                }
                Err(_) => (0, per_client),
            }
        });
    }
    let mut report = LoadReport::default();
    while let Some(result) = tasks.join_next().await {
        let (ok, failed) = result.unwrap_or((0, per_client));
        report.clients += 1;
        report.echoed += ok;
        report.failed += failed;
    }
    report
}
