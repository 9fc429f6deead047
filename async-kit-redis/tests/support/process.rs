//! Child processes for the multi-process tests: the test binary itself, run
//! with a test filter that selects only its `child_role` entry and an
//! environment variable that names the role.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The variable naming the role a child plays.
pub const ROLE: &str = "AK_REDIS_TEST_ROLE";

/// How long any one wait for a child may take before the test fails.
pub const CAP: Duration = Duration::from_secs(90);

/// The prefix of the lines a role reports, to tell them from libtest's.
pub const MARK: &str = "@ ";

/// The role this process plays, if it is a child.
pub fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

/// Reads one variable the parent gave a child.
pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("the parent sets {name}"))
}

/// Prints a report line for the parent.
pub fn report(line: impl std::fmt::Display) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{MARK}{line}").unwrap();
    out.flush().unwrap();
}

/// A running child.
pub struct Worker {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Worker {
    /// Starts this test binary as a child playing `role`, with `vars`.
    pub fn spawn(role: &str, vars: &HashMap<&str, String>) -> Worker {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut command = Command::new(exe);
        command
            .args(["child_role", "--exact", "--nocapture", "--test-threads=1"])
            .env(ROLE, role)
            .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn the test binary as a child");
        let stdout = child.stdout.take().expect("piped stdout");
        Worker {
            stdin: child.stdin.take(),
            lines: BufReader::new(stdout).lines(),
            child,
        }
    }

    /// The next report line, `None` at the end of the child's output.
    pub async fn next_report(&mut self) -> Option<String> {
        loop {
            let line = tokio::time::timeout(CAP, self.lines.next_line())
                .await
                .expect("a child reported within the cap")
                .expect("read a child's output")?;
            // libtest prints "test child_role ... " before the first report,
            // on the same line.
            if let Some(at) = line.find(MARK) {
                return Some(line[at + MARK.len()..].to_owned());
            }
        }
    }

    /// Reads reports until one equal to `expected`; returns those before it.
    pub async fn wait_for(&mut self, expected: &str) -> Vec<String> {
        let mut before = Vec::new();
        loop {
            match self.next_report().await {
                Some(line) if line == expected => return before,
                Some(line) => before.push(line),
                None => panic!("the child ended before reporting {expected:?}"),
            }
        }
    }

    /// Reads every remaining report, then checks the child succeeded.
    pub async fn finish(mut self) -> Vec<String> {
        let mut reports = Vec::new();
        while let Some(line) = self.next_report().await {
            reports.push(line);
        }
        let status = tokio::time::timeout(CAP, self.child.wait())
            .await
            .expect("the child exited within the cap")
            .expect("wait for the child");
        assert!(status.success(), "a child failed: {status}");
        reports
    }

    /// Sends a line to the child's standard input.
    pub async fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("the child's stdin is open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
    }

    /// `kill -9`: the child gets no chance to clean up.
    pub async fn kill_9(&mut self) {
        self.child.start_kill().expect("send SIGKILL");
        let status = self.child.wait().await.expect("reap the killed child");
        assert!(!status.success());
    }
}
