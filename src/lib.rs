//! The building blocks of async-kit's tutorial examples.
//!
//! Each example in `examples/` is a thin command line around one of these
//! modules, so that the integration tests in `tests/` can run the same code
//! on loopback with short delays.

pub mod aio;
pub mod cli;
pub mod echo;
pub mod fetch;
pub mod fetch_queue;
pub mod resilient;
pub mod store;
pub mod timeline;

/// Binds a listener with a deep accept queue (4096, capped by the kernel's
/// `somaxconn`), so a burst of a thousand clients is not reset.
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// A sentence for an error from [`bind`]: the address, what went wrong, and
/// the likely cause when it is a common one.
pub fn describe_bind_error(addr: std::net::SocketAddr, err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::AddrInUse => {
            format!(
                "cannot listen on {addr}: the address is already in use (is another server running on it?)"
            )
        }
        std::io::ErrorKind::AddrNotAvailable => {
            format!("cannot listen on {addr}: no interface of this machine has that address")
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("cannot listen on {addr}: permission denied (ports below 1024 need privileges)")
        }
        _ => format!("cannot listen on {addr}: {err}"),
    }
}
