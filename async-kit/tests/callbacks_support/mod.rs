//! Helpers shared by the done-callback tests (`task_callbacks.rs` and
//! `task_pool_callbacks.rs`): a log that callbacks write to, and a guard
//! that logs when a task's future is dropped.

use std::sync::{Arc, Mutex};

use async_kit::task::Outcome;

pub type Log = Arc<Mutex<Vec<String>>>;

pub fn log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

pub fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// A callback that records its name and the outcome it saw.
pub fn recorder<T: std::fmt::Debug>(
    log: &Log,
    name: &'static str,
) -> impl FnOnce(Outcome<'_, T>) + Send + 'static {
    let log = log.clone();
    move |outcome| {
        let seen = match outcome {
            Outcome::Completed(Some(out)) => format!("completed {out:?}"),
            Outcome::Completed(None) => "completed, taken".to_string(),
            Outcome::Panicked => "panicked".to_string(),
            Outcome::Cancelled => "cancelled".to_string(),
        };
        log.lock().unwrap().push(format!("{name}: {seen}"));
    }
}

/// Logs "future dropped" when dropped: put one in a task's future to prove
/// that the future is gone, and when, relative to the callbacks.
pub struct DropGuard(pub Log);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.lock().unwrap().push("future dropped".to_string());
    }
}
