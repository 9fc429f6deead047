//! What the tests that run the example programs share: finding a built
//! example, and reading a running one's output line by line.

#![allow(dead_code)] // Each test binary uses its own part.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

/// The built example `name`, as a command to run.
///
/// # Panics
///
/// Panics if cargo did not build it: plain `cargo test` builds the
/// examples, `cargo test --test NAME` alone does not.
pub fn example(name: &str) -> Command {
    // target/<profile>/deps/<this test> → target/<profile>/examples/<name>
    let mut path: PathBuf = std::env::current_exe().unwrap();
    path.pop();
    path.pop();
    path.push("examples");
    path.push(name);
    assert!(
        path.exists(),
        "{} was not built: plain `cargo test` builds the examples, `--test` alone does not",
        path.display()
    );
    Command::new(path)
}

/// Starts `cmd` with its stdout (and stderr) piped and a thread that sends
/// each line of its stdout as it comes; the channel closes when the output
/// ends. The caller reads stderr from the child.
pub fn spawn_with_lines(cmd: &mut Command) -> (Child, mpsc::Receiver<String>) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    (child, lines)
}
