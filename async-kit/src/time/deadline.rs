use std::cell::Cell;
use std::time::Duration;

use tokio::time::Instant;

thread_local! {
    // The deadline of the innermost `Timeout` being polled on this thread.
    // Set for the duration of one poll only, so it behaves like a task-local
    // that costs two thread-local accesses per poll.
    static CURRENT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Returns the deadline that bounds the code running now, if any.
///
/// Inside a [`#[timeout]`](crate::timeout) fn or a [`time::timeout`] future,
/// this is the earliest deadline of all the timeouts that enclose the caller.
/// Outside of them it is `None`, and so it is inside tasks spawned from
/// them with `tokio::spawn` (such a task is not bounded by its parent's
/// deadline). Children of a [`TaskGroup`](crate::TaskGroup) inherit the
/// deadline of the code that spawned them, and see it here.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::timeout;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// assert_eq!(async_kit::deadline(), None);
/// let start = tokio::time::Instant::now();
/// let seen = timeout(Duration::from_secs(5), async { async_kit::deadline() }).await;
/// assert_eq!(seen, Ok(Some(start + Duration::from_secs(5))));
/// # }
/// ```
///
/// [`time::timeout`]: crate::time::timeout
#[must_use]
pub fn deadline() -> Option<Instant> {
    CURRENT.with(Cell::get)
}

/// Returns how much time is left before the current [`deadline`], if any.
///
/// A passed deadline gives [`Duration::ZERO`]. Pass it on to APIs that take a
/// plain timeout (a socket option, an HTTP client's request timeout), so they
/// never wait past the budget of the code that called them.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::timeout;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let left = timeout(Duration::from_secs(5), async {
///     tokio::time::sleep(Duration::from_secs(2)).await;
///     async_kit::remaining()
/// })
/// .await;
/// assert_eq!(left, Ok(Some(Duration::from_secs(3))));
/// # }
/// ```
#[must_use]
pub fn remaining() -> Option<Duration> {
    deadline().map(|d| d.saturating_duration_since(Instant::now()))
}

/// Makes `deadline` current on this thread until dropped, then restores the
/// previous one. Never loosens an enclosing deadline.
pub(crate) struct Scope {
    previous: Option<Instant>,
}

impl Scope {
    #[inline]
    pub(crate) fn enter(deadline: Instant) -> Self {
        let previous = CURRENT.with(|c| {
            let previous = c.get();
            let tightest = match previous {
                Some(p) if p < deadline => p,
                _ => deadline,
            };
            c.set(Some(tightest));
            previous
        });
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
