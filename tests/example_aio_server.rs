//! The `/aio` server on loopback: answers, errors, bad input, many clients.

use std::time::Duration;

use async_kit_examples::aio::{self, Config, Delay, DelayUnit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn fast(delay: std::ops::RangeInclusive<u64>) -> Config {
    Config {
        delay,
        unit: DelayUnit::Millis,
        ..Config::default()
    }
}

/// Sends raw bytes and returns whatever the server answers before closing
/// (or the first 64 KiB).
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut socket = TcpStream::connect(addr).await.unwrap();
    // The server may close before it reads everything: ignore write errors.
    let _ = socket.write_all(request).await;
    let mut answer = Vec::new();
    let _ =
        async_kit::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn get_aio_answers_json_with_a_delay_in_range() {
    let (addr, _stop) = aio::spawn(fast(2..=4)).await.unwrap();
    let reply = reqwest::get(format!("http://{addr}/aio")).await.unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/json");
    let body: Delay = reply.json().await.unwrap();
    assert!((2..=4).contains(&body.delay), "{body:?}");
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let (addr, _stop) = aio::spawn(fast(1..=1)).await.unwrap();
    let client = reqwest::Client::new();
    let missing = client
        .get(format!("http://{addr}/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let post = client
        .post(format!("http://{addr}/aio"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
}

#[tokio::test]
async fn bad_input_gets_400_or_a_clean_close_and_the_server_goes_on() {
    let (addr, _stop) = aio::spawn(fast(1..=1)).await.unwrap();

    let garbage = raw(addr, b"\x00\x01\x02 not http at all\r\n\r\n").await;
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage:?}"
    );

    let huge = format!(
        "GET /aio HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let answer = raw(addr, huge.as_bytes()).await;
    assert!(
        answer.is_empty()
            || answer.starts_with("HTTP/1.1 431")
            || answer.starts_with("HTTP/1.1 400"),
        "{answer:?}"
    );

    // A client that vanishes halfway through its request.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket.write_all(b"GET /aio HTTP/1.1\r\nho").await.unwrap();
    drop(socket);

    // A client that vanishes while its answer is being prepared.
    let mut socket = TcpStream::connect(addr).await.unwrap();
    socket
        .write_all(b"GET /aio HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    drop(socket);

    let ok = raw(
        addr,
        b"GET /aio HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok:?}");
    assert!(ok.ends_with("{\"delay\":1}"), "{ok:?}");
}

#[tokio::test]
async fn a_full_server_answers_503_and_a_slow_request_504() {
    let (addr, _stop) = aio::spawn(Config {
        max_in_flight: 0,
        ..fast(1..=1)
    })
    .await
    .unwrap();
    let reply = reqwest::get(format!("http://{addr}/aio")).await.unwrap();
    assert_eq!(reply.status(), 503);

    let (addr, _stop) = aio::spawn(Config {
        request_timeout: Duration::from_millis(5),
        ..fast(10_000..=10_000)
    })
    .await
    .unwrap();
    let reply = reqwest::get(format!("http://{addr}/aio")).await.unwrap();
    assert_eq!(reply.status(), 504);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_clients_are_all_answered() {
    let (addr, _stop) = aio::spawn(fast(1..=20)).await.unwrap();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/aio");
    let replies = futures::future::join_all(
        (0..500).map(|_| async_kit_examples::fetch::fetch(&client, &url)),
    )
    .await;
    let delays: Vec<u64> = replies.into_iter().map(Result::unwrap).collect();
    assert_eq!(delays.len(), 500);
    assert!(delays.iter().all(|d| (1..=20).contains(d)));
}

#[tokio::test]
async fn graceful_shutdown_lets_requests_in_flight_finish() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(aio::serve(listener, fast(200..=200), async move {
        let _ = stopped.await;
    }));
    let request = tokio::spawn(reqwest::get(format!("http://{addr}/aio")));
    // Wait until the request has reached the server before stopping it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    stop.send(()).unwrap();
    let reply = request.await.unwrap().unwrap();
    assert_eq!(reply.status(), 200);
    server.await.unwrap().unwrap();
}

/// Reads until the server closes the connection (end of file or a reset);
/// fails the test if it stays open for 10 s, far beyond any timeout here.
async fn closed_by_server(socket: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let read = async_kit::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0; 4096];
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_idle_and_slow_clients_are_closed_while_others_are_served() {
    let (addr, _stop) = aio::spawn(Config {
        header_timeout: Duration::from_millis(300),
        ..fast(1..=1)
    })
    .await
    .unwrap();

    // Sends nothing at all.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    // Gets one answer, then keeps the connection idle.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /aio HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    // Sends its headers a byte at a time, never finishing.
    let slow = tokio::spawn(async move {
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /aio HTTP/1.1\r\nhost: x\r\nx-slow: ")
            .await
            .unwrap();
        let mut buf = [0; 64];
        let closed = async_kit::time::timeout(Duration::from_secs(10), async {
            loop {
                tokio::select! {
                    read = slow.read(&mut buf) => match read {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    },
                    () = tokio::time::sleep(Duration::from_millis(50)) => {
                        if slow.write_all(b"a").await.is_err() {
                            return;
                        }
                    }
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the slow client was never closed");
    });

    // Meanwhile, a normal client is served.
    let reply = reqwest::get(format!("http://{addr}/aio")).await.unwrap();
    assert_eq!(reply.status(), 200);

    assert!(closed_by_server(&mut silent).await.is_empty());
    let answered = String::from_utf8(closed_by_server(&mut idle).await).unwrap();
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered:?}");
    slow.await.unwrap();
}

#[tokio::test]
async fn a_client_that_half_closes_after_its_request_gets_the_answer() {
    let (addr, _stop) = aio::spawn(fast(1..=1)).await.unwrap();
    for (request, status) in [
        (
            &b"GET /nope HTTP/1.1\r\nhost: x\r\n\r\n"[..],
            "HTTP/1.1 404",
        ),
        (&b"GET /aio HTTP/1.1\r\nhost: x\r\n\r\n"[..], "HTTP/1.1 200"),
    ] {
        let mut socket = TcpStream::connect(addr).await.unwrap();
        socket.write_all(request).await.unwrap();
        socket.shutdown().await.unwrap(); // as `nc -N` does
        let answer = String::from_utf8(closed_by_server(&mut socket).await).unwrap();
        assert!(answer.starts_with(status), "{answer:?}");
    }
}

#[tokio::test]
async fn over_the_limit_a_request_gets_503_and_its_connection_is_closed() {
    let (addr, _stop) = aio::spawn(Config {
        max_in_flight: 2,
        ..fast(300..=300)
    })
    .await
    .unwrap();
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut socket = TcpStream::connect(addr).await.unwrap();
        socket
            .write_all(b"GET /aio HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        busy.push(socket);
    }
    // Wait until both are in flight: a third gets 503, and the server
    // closes that connection itself, freeing its descriptor.
    let mut statuses = Vec::new();
    for _ in 0..100 {
        let mut socket = TcpStream::connect(addr).await.unwrap();
        socket
            .write_all(b"GET /aio HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let answer = String::from_utf8(closed_by_server(&mut socket).await).unwrap();
        let is_503 = answer.starts_with("HTTP/1.1 503");
        statuses.push(answer);
        if is_503 {
            break;
        }
    }
    let last = statuses.last().unwrap();
    assert!(last.starts_with("HTTP/1.1 503"), "{statuses:?}");
    assert!(
        last.to_ascii_lowercase().contains("connection: close"),
        "{last}"
    );
}

#[tokio::test]
async fn at_the_end_of_the_grace_period_shutdown_closes_what_remains() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = Config {
        grace: Duration::from_millis(200),
        ..fast(1..=1)
    };
    let server = tokio::spawn(aio::serve(listener, config, async move {
        let _ = stopped.await;
    }));
    // Half a request: the connection can never finish by itself.
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /aio HTTP/1.1\r\nhost: x\r\nx-p: ")
        .await
        .unwrap();
    // A complete exchange, so the half-sent one has surely been accepted.
    let ok = raw(
        addr,
        b"GET /aio HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok:?}");
    stop.send(()).unwrap();
    let stopped = async_kit::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops after its grace period")
        .unwrap()
        .unwrap();
    assert_eq!(stopped.closed, 1, "{stopped:?}");
    closed_by_server(&mut half).await;
}

#[test]
fn the_default_in_flight_limit_leaves_descriptors_to_answer_503() {
    let files = aio::open_file_limit().expect("Linux tells the open-file limit");
    let limit = aio::default_max_in_flight();
    assert!(limit >= 1);
    assert!(limit + 64 <= files || limit == 1, "{limit} of {files}");
    assert_eq!(Config::default().max_in_flight, limit);
}

fn failing(rate: f64, seed: u64) -> Config {
    Config {
        fail_rate: rate,
        retry_after: 2,
        seed: Some(seed),
        ..fast(1..=1)
    }
}

/// Sends `n` requests one after another (so they arrive in order) and
/// returns, for each, whether it was a 503 with `Retry-After: 2`. Any
/// other answer than that or a 200 fails the test.
async fn failures(addr: std::net::SocketAddr, n: usize) -> Vec<bool> {
    let client = reqwest::Client::new();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let reply = client
            .get(format!("http://{addr}/aio"))
            .send()
            .await
            .unwrap();
        match reply.status().as_u16() {
            200 => {
                assert!(reply.headers().get("retry-after").is_none());
                out.push(false);
            }
            503 => {
                assert_eq!(reply.headers()["retry-after"], "2");
                out.push(true);
            }
            other => panic!("unexpected status {other}"),
        }
    }
    out
}

#[tokio::test]
async fn fail_rate_one_answers_every_request_503_with_retry_after() {
    let (addr, _stop) = aio::spawn(failing(1.0, 3)).await.unwrap();
    assert_eq!(failures(addr, 20).await, vec![true; 20]);
}

#[tokio::test]
async fn fail_rate_zero_answers_none_503() {
    let (addr, _stop) = aio::spawn(failing(0.0, 3)).await.unwrap();
    assert_eq!(failures(addr, 20).await, vec![false; 20]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_rate_half_with_a_seed_fails_exactly_the_seeds_requests() {
    let n = 60;
    let (addr, _stop) = aio::spawn(failing(0.5, 42)).await.unwrap();
    let got = failures(addr, n).await;
    let mut plan = aio::FailPlan::new(0.5, Some(42));
    let expected: Vec<bool> = (0..n).map(|_| plan.next_fails()).collect();
    assert_eq!(got, expected);
    // The seed gives a real mix, not all of one kind.
    let failed = got.iter().filter(|f| **f).count();
    assert!(0 < failed && failed < n, "{failed} of {n}");
    // And a second server with the same seed does the same.
    let (again, _stop2) = aio::spawn(failing(0.5, 42)).await.unwrap();
    assert_eq!(failures(again, n).await, expected);
}
