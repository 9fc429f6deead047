//! Echo servers and clients: the tutorial's first and fourteenth articles.
//!
//! [`serve_raw`] is the low-level version (accept, then a read/write loop per
//! connection, as with `sock_accept`/`sock_recv`/`sock_send`); [`serve_lines`]
//! is the high-level one (line framing, timeouts and a connection limit, as
//! with `asyncio.start_server`).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

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
    /// Each line must arrive complete within this time of the previous one
    /// (or of connecting); otherwise the connection is closed. This closes
    /// a silent client and one that dribbles a line a byte at a time alike.
    pub idle: Duration,
    /// Each echo must be written within this time: a client that sends but
    /// never reads fills its socket's buffers, and is closed rather than
    /// holding its slot forever.
    pub write_timeout: Duration,
    /// At most this many connections are served at once; one more is
    /// answered a `busy` line and closed.
    pub max_connections: usize,
    /// The longest line, in bytes, newline included; a longer one is
    /// answered an error line and the connection is closed.
    pub max_line: usize,
}

impl Default for LinesConfig {
    fn default() -> Self {
        LinesConfig {
            idle: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_line: 64 * 1024,
        }
    }
}

/// Serves line echo on `listener` until `shutdown` completes.
///
/// A line is bytes up to and including `\n`, echoed back exactly, whatever
/// the bytes (UTF-8 or not); what a client sends after its last newline is
/// echoed when it closes its side. Errors the client can act on are answered
/// with a line starting `error:` before the connection is closed.
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
        let (mut socket, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // One failed handshake or a moment without descriptors must
                // not end the server.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let config = config.clone();
        let Ok(permit) = limit.try_acquire_owned() else {
            // Over the limit: say so at once rather than leave the client
            // connected and unanswered.
            tokio::spawn(async move {
                let busy = format!(
                    "error: server busy ({} connections), try again later\n",
                    config.max_connections
                );
                let _ = async_kit::time::timeout(
                    config.write_timeout,
                    socket.write_all(busy.as_bytes()),
                )
                .await;
            });
            continue;
        };
        tokio::spawn(async move {
            let _permit = permit;
            let _ = echo_lines_on(socket, &config).await;
        });
    }
}

/// Why a line connection ends.
#[derive(Debug)]
enum Ended {
    Closed,
    Idle,
    WriteStalled,
    TooLong,
    Io,
}

/// Echoes the lines of one connection until it closes or breaks a rule.
async fn echo_lines_on(mut socket: TcpStream, config: &LinesConfig) -> Ended {
    let mut buf = bytes::BytesMut::with_capacity(4096.min(config.max_line));
    // Bytes of `buf` already searched for a newline.
    let mut searched = 0;
    // When the line being received must be complete.
    let mut line_due = tokio::time::Instant::now() + config.idle;
    loop {
        if let Some(at) = buf[searched..].iter().position(|&b| b == b'\n') {
            let line = buf.split_to(searched + at + 1);
            searched = 0;
            if !write_within(&mut socket, &line, config.write_timeout).await {
                return Ended::WriteStalled;
            }
            line_due = tokio::time::Instant::now() + config.idle;
            continue;
        }
        searched = buf.len();
        if buf.len() >= config.max_line {
            let message = format!(
                "error: line longer than {} bytes, closing\n",
                config.max_line
            );
            let _ = write_within(&mut socket, message.as_bytes(), config.write_timeout).await;
            return Ended::TooLong;
        }
        // Read at most up to the line limit, so a flood is never buffered.
        let room = config.max_line - buf.len();
        let read = async_kit::time::timeout_at(line_due, async {
            let mut limited = (&mut socket).take(room as u64);
            limited.read_buf(&mut buf).await
        });
        match read.await {
            Err(_) => return Ended::Idle,
            Ok(Err(_)) => return Ended::Io,
            Ok(Ok(0)) => {
                // The client closed its side: echo the unterminated rest.
                if !buf.is_empty() {
                    let _ = write_within(&mut socket, &buf, config.write_timeout).await;
                }
                return Ended::Closed;
            }
            Ok(Ok(_)) => {}
        }
    }
}

/// Writes all of `bytes`, giving up after `limit`.
async fn write_within(socket: &mut TcpStream, bytes: &[u8], limit: Duration) -> bool {
    matches!(
        async_kit::time::timeout(limit, socket.write_all(bytes)).await,
        Ok(Ok(()))
    )
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
