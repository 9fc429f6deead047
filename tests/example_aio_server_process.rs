//! The `aio_server` program as a user runs it: signals, flags, a port in
//! use, and a flood under a low open-file limit.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::Duration;

mod examples_support;

use examples_support::{example, spawn_with_lines};

/// A running `aio_server` and the lines it prints.
struct Server {
    child: Child,
    addr: SocketAddr,
    first: String,
    lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts the server, with `ulimit -n` set first when given, and waits
    /// for its "listening on" line.
    fn start(file_limit: Option<u32>, args: &[&str]) -> Server {
        let mut cmd = match file_limit {
            Some(n) => {
                let mut cmd = Command::new("sh");
                cmd.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(example("aio_server").get_program());
                cmd
            }
            None => example("aio_server"),
        };
        cmd.args(["--addr", "127.0.0.1:0"]).args(args);
        let (child, lines) = spawn_with_lines(&mut cmd);
        let first = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("it starts");
        let addr = first
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.split_once("/aio"))
            .map(|(addr, _)| addr.parse().unwrap())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        Server {
            child,
            addr,
            first,
            lines,
        }
    }

    fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The next line that contains `text`, waiting up to 30 s.
    fn expect_line(&self, text: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no line with {text:?}"));
            if line.contains(text) {
                return line;
            }
        }
    }

    /// Waits up to 30 s for the process to exit; its exit code.
    fn exit_code(&mut self) -> Option<i32> {
        for _ in 0..3000 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the server did not exit");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Connects and sends half a request: a client the server cannot finish.
fn half_request(addr: SocketAddr) -> TcpStream {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .write_all(b"GET /aio HTTP/1.1\r\nHost: x\r\nX-P: ")
        .unwrap();
    socket
}

/// One complete request on its own connection; the status line.
fn status_of_one_request(addr: SocketAddr) -> String {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .write_all(b"GET /aio HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = String::new();
    let _ = socket.read_to_string(&mut answer);
    answer.lines().next().unwrap_or("").to_string()
}

#[test]
fn ctrl_c_with_a_half_sent_request_stops_after_the_grace_period() {
    let mut server = Server::start(
        None,
        &["--delay", "1", "--delay-unit", "ms", "--grace", "300ms"],
    );
    let _half = half_request(server.addr);
    assert_eq!(status_of_one_request(server.addr), "HTTP/1.1 200 OK");
    server.interrupt();
    server.expect_line("shutting down");
    let stopped = server.expect_line("stopped:");
    assert!(stopped.contains("1 closed"), "{stopped}");
    assert_eq!(server.exit_code(), Some(0));
}

#[test]
fn a_second_ctrl_c_stops_at_once() {
    let mut server = Server::start(
        None,
        &["--delay", "1", "--delay-unit", "ms", "--grace", "10m"],
    );
    let _half = half_request(server.addr);
    assert_eq!(status_of_one_request(server.addr), "HTTP/1.1 200 OK");
    server.interrupt();
    server.expect_line("shutting down");
    server.interrupt();
    server.expect_line("stopped at once");
    assert_eq!(server.exit_code(), Some(130));
}

#[test]
fn a_host_name_is_resolved_and_a_port_in_use_is_named() {
    let server = Server::start(None, &["--addr", "localhost:0"]);
    assert!(server.addr.ip().is_loopback(), "{}", server.addr);
    let out = example("aio_server")
        .args(["--addr", &server.addr.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot listen on {}: the address is already in use",
            server.addr
        )),
        "{stderr}"
    );
}

#[test]
fn zero_limits_and_timeouts_are_refused() {
    for args in [
        ["--max-in-flight", "0"],
        ["--header-timeout", "0s"],
        ["--request-timeout", "0ms"],
    ] {
        let out = example("aio_server").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("is zero"), "{args:?}: {stderr}");
    }
}

#[test]
fn under_a_low_file_limit_a_flood_gets_503_not_a_stall() {
    // 300 clients against a server allowed 256 descriptors: with the
    // default in-flight limit (the file limit less a tenth, at least 64),
    // the requests over it get 503 while descriptors remain to accept them,
    // and every client gets an answer.
    let server = Server::start(Some(256), &["--delay", "1", "--delay-unit", "s"]);
    assert!(
        server.first.contains("at most 192 in flight"),
        "{}",
        server.first
    );
    let addr = server.addr;
    let clients: Vec<_> = (0..300)
        .map(|_| {
            std::thread::spawn(move || {
                let mut socket = TcpStream::connect(addr).unwrap();
                socket
                    .write_all(b"GET /aio HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .unwrap();
                socket
                    .set_read_timeout(Some(Duration::from_secs(60)))
                    .unwrap();
                let mut answer = String::new();
                let _ = socket.read_to_string(&mut answer);
                answer.lines().next().unwrap_or("").to_string()
            })
        })
        .collect();
    let statuses: Vec<String> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let ok = statuses
        .iter()
        .filter(|s| s.starts_with("HTTP/1.1 200"))
        .count();
    let busy = statuses
        .iter()
        .filter(|s| s.starts_with("HTTP/1.1 503"))
        .count();
    assert_eq!(ok + busy, 300, "unanswered clients: {statuses:?}");
    assert!(busy > 0, "no 503 among {ok} answers");
}
