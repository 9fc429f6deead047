use std::cell::Cell;

thread_local! {
    // The attempt number of the innermost retry being polled on this thread,
    // set for one poll at a time as the deadline is.
    static CURRENT: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Returns the number of the attempt running now (1 for the first try), or
/// `None` outside of a [`retry`](super::retry()) or `#[retry]` body.
///
/// Like [`deadline`](crate::deadline), it is visible to the code the attempt
/// runs and calls, and not inside tasks it spawns. Inside nested retries it
/// is the innermost one's.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::retry::{Policy, attempt, retry};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// assert_eq!(attempt(), None);
/// let policy = Policy::constant(Duration::from_millis(10)).max_attempts(5);
/// let out = retry(policy, || async {
///     let n = attempt().unwrap();
///     if n < 3 { Err(n) } else { Ok(n) }
/// })
/// .await;
/// assert_eq!(out.unwrap(), 3);
/// # }
/// ```
#[must_use]
pub fn attempt() -> Option<u32> {
    CURRENT.with(Cell::get)
}

/// Makes `attempt` current on this thread until dropped.
pub(crate) struct Scope {
    previous: Option<u32>,
}

impl Scope {
    #[inline]
    pub(crate) fn enter(attempt: u32) -> Self {
        let previous = CURRENT.with(|c| c.replace(Some(attempt)));
        Scope { previous }
    }
}

impl Drop for Scope {
    #[inline]
    fn drop(&mut self) {
        let previous = self.previous;
        CURRENT.with(|c| c.set(previous));
    }
}
