//! `fetch_queue --redis` as a user runs it: one producer and two workers in
//! separate processes on a real redis-server, and the command line's error
//! paths.

// The redis-server harness of async-kit-redis's tests, shared rather than
// copied.
#[path = "../async-kit-redis/tests/support/mod.rs"]
mod support;

mod examples_support;

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use examples_support::{example, spawn_with_lines};
use support::RedisServer;
use support::process::CAP;

fn fetch_queue() -> Command {
    example("fetch_queue")
}

/// A running `fetch_queue` process and the lines it prints.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    stderr: Option<JoinHandle<String>>,
}

/// What a process printed, and how it ended.
struct Ended {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Running {
    fn spawn(cmd: &mut Command) -> Running {
        let (mut child, lines) = spawn_with_lines(cmd);
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Running {
            child,
            lines,
            stderr: Some(stderr),
        }
    }

    /// Reads lines until one contains `what`; returns it.
    fn wait_for_line(&mut self, what: &str) -> String {
        loop {
            match self.lines.recv_timeout(CAP) {
                Ok(line) if line.contains(what) => return line,
                Ok(_) => {}
                Err(err) => panic!("no line with {what:?} within {CAP:?}: {err}"),
            }
        }
    }

    /// Waits (at most [`CAP`]) for the process to exit.
    fn finish(mut self) -> Ended {
        self.wait()
    }

    fn wait(&mut self) -> Ended {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > CAP {
                let _ = self.child.kill();
                panic!("fetch_queue did not exit within {CAP:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        // The reader thread ends at the end of the output.
        for line in self.lines.iter() {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        Ended {
            status,
            stdout,
            stderr: self.stderr.take().unwrap().join().unwrap(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed assertion must not leave a worker waiting forever.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The count of a worker's summary line, `worker PID: N fetched, …`.
fn fetched(stdout: &str) -> usize {
    stdout
        .lines()
        .find_map(|line| {
            let (_, rest) = line.split_once(": ")?;
            let (n, _) = rest.split_once(" fetched, ")?;
            n.parse().ok()
        })
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"))
}

/// The indices of the fetches a worker reports, `…: fetched #I …`.
fn indices(stdout: &str) -> Vec<usize> {
    stdout
        .lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once(": fetched #")?;
            rest.split(' ').next()?.parse().ok()
        })
        .collect()
}

#[test]
fn one_producer_and_two_worker_processes_share_the_jobs() {
    let server = RedisServer::start();
    let url = server.url();
    let n = 30;
    let queue = "fetch-test";
    let mut workers: Vec<Running> = (0..2)
        .map(|_| {
            Running::spawn(fetch_queue().args([
                "--redis", &url, "--role", "worker", "--queue", queue, "-k", "2",
            ]))
        })
        .collect();
    // Each worker has opened the queue (and so will see its shutdown)
    // before the producer starts.
    for worker in &mut workers {
        worker.wait_for_line("until it is shut down");
    }

    let producer = Running::spawn(fetch_queue().args([
        "--redis",
        &url,
        "--role",
        "producer",
        "--queue",
        queue,
        "-n",
        &n.to_string(),
        "--capacity",
        "4",
        "--delay",
        "5..40",
        "--shutdown",
    ]))
    .finish();
    assert!(
        producer.status.success(),
        "{}\n{}",
        producer.stdout,
        producer.stderr
    );
    assert!(
        producer
            .stdout
            .contains(&format!("the workers marked all {n} fetches done")),
        "{}",
        producer.stdout
    );
    // join returned only once every entry had been acknowledged (and so
    // deleted): nothing is left unfinished in Redis. The workers fetch from
    // the producer's own /aio server, which ends with it, so a join that
    // returned early would also show as failed fetches below (a worker
    // with a failed fetch exits 1).
    let unfinished: usize = redis::cmd("XLEN")
        .arg(format!("ak:q:{{{queue}}}:s"))
        .query(&mut server.conn())
        .unwrap();
    assert_eq!(unfinished, 0, "{}", producer.stdout);
    let shut_down: bool = redis::cmd("EXISTS")
        .arg(format!("ak:q:{{{queue}}}:shutdown"))
        .query(&mut server.conn())
        .unwrap();
    assert!(shut_down);

    // The shutdown ends both workers.
    let mut total = 0;
    let mut seen = BTreeSet::new();
    for worker in workers {
        let worker = worker.finish();
        assert!(
            worker.status.success(),
            "{}\n{}",
            worker.stdout,
            worker.stderr
        );
        let reported = indices(&worker.stdout);
        assert_eq!(fetched(&worker.stdout), reported.len(), "{}", worker.stdout);
        total += reported.len();
        seen.extend(reported);
    }
    // At least once: every job reached a worker (twice only if its lease
    // of 30 s expired, or a worker died, which the count allows).
    assert!(total >= n, "{total} fetched");
    assert_eq!(seen, (0..n).collect::<BTreeSet<_>>());

    // The shutdown outlives the run: the next producer is refused and told
    // about --reopen, which clears it.
    let producer_again = |extra: &[&str]| {
        let mut cmd = fetch_queue();
        cmd.args(["--redis", &url, "--role", "producer", "--queue", queue]);
        cmd.args(extra);
        Running::spawn(&mut cmd).finish()
    };
    let refused = producer_again(&["-n", "1"]);
    assert_eq!(refused.status.code(), Some(1), "{}", refused.stderr);
    assert!(refused.stderr.contains("--reopen"), "{}", refused.stderr);
    let reopened = producer_again(&["-n", "0", "--reopen"]);
    assert!(reopened.status.success(), "{}", reopened.stderr);
    assert!(reopened.stdout.contains("reopened"), "{}", reopened.stdout);
    let shut_down: bool = redis::cmd("EXISTS")
        .arg(format!("ak:q:{{{queue}}}:shutdown"))
        .query(&mut server.conn())
        .unwrap();
    assert!(!shut_down, "--reopen without --shutdown leaves it open");
}

#[test]
fn an_unreachable_redis_exits_1_naming_its_url() {
    // Nothing listens on a port just freed by the OS.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    for role in ["producer", "worker"] {
        let ended = Running::spawn(fetch_queue().args(["--redis", &url, "--role", role])).finish();
        assert_eq!(ended.status.code(), Some(1), "{role}: {}", ended.stderr);
        assert!(
            ended
                .stderr
                .contains(&format!("cannot connect to redis at {url}")),
            "{role}: {}",
            ended.stderr
        );
    }
}

#[test]
fn flags_that_do_not_apply_exit_2_before_connecting() {
    // Port 1: nothing listens, so only a refusal before connecting exits 2.
    let redis = "redis://127.0.0.1:1";
    for (args, says) in [
        (
            &["--redis", redis, "--role", "worker", "-n", "5"][..],
            "-n applies to the producer",
        ),
        (
            &["--redis", redis, "--role", "worker", "--shutdown"][..],
            "--shutdown applies to the producer",
        ),
        (
            &["--redis", redis, "--role", "worker", "--reopen"][..],
            "--reopen applies to the producer",
        ),
        (
            &["--reopen"][..],
            "--reopen clears a Redis queue's shutdown",
        ),
        (
            &["--redis", redis, "--role", "worker", "--capacity", "3"][..],
            "--capacity applies to the producer",
        ),
        (
            &[
                "--redis",
                redis,
                "--role",
                "worker",
                "--url",
                "http://127.0.0.1:3000/aio",
            ][..],
            "--url applies to the producer",
        ),
        (
            &["--redis", redis, "--role", "producer", "-k", "2"][..],
            "-k sets a worker's fetchers",
        ),
        (
            &["--redis", redis][..],
            "needs --role producer or --role worker",
        ),
        (&["--role", "worker"][..], "--role needs --redis"),
        (&["--queue", "jobs"][..], "--queue names a Redis queue"),
        (&["--shutdown"][..], "--shutdown needs --redis"),
        (
            &["--redis", redis, "--role", "consumer"][..],
            "expected producer or worker",
        ),
        (
            &["--redis", "http://127.0.0.1:6379", "--role", "worker"][..],
            "invalid redis URL",
        ),
    ] {
        let ended = Running::spawn(fetch_queue().args(args)).finish();
        assert_eq!(ended.status.code(), Some(2), "{args:?}: {}", ended.stderr);
        assert!(ended.stderr.contains(says), "{args:?}: {}", ended.stderr);
    }
}
