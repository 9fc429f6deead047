use std::cell::Cell;

use governor::clock::Clock;

thread_local! {
    // The instant the last check on this thread read, so that a refusal
    // measures its wait from it instead of reading the clock a second time.
    static LAST: Cell<Option<std::time::Instant>> = const { Cell::new(None) };
}

/// governor's clock over tokio's: `tokio::time::Instant::now()` follows a
/// paused and advanced test clock, and converts to the `std` instant that
/// governor already knows how to measure.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;

    #[inline]
    fn now(&self) -> Self::Instant {
        let now = tokio::time::Instant::now().into_std();
        LAST.with(|last| last.set(Some(now)));
        now
    }
}

impl TokioClock {
    /// The instant the latest check on this thread used (a check reads the
    /// clock once): the "now" of the refusal it just returned.
    #[inline]
    pub(crate) fn last_read() -> std::time::Instant {
        LAST.with(Cell::get).unwrap_or_else(|| TokioClock.now())
    }
}
