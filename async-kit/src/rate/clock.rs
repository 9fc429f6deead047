use governor::clock::Clock;

/// governor's clock over tokio's: `tokio::time::Instant::now()` follows a
/// paused and advanced test clock, and converts to the `std` instant that
/// governor already knows how to measure.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokioClock;

impl Clock for TokioClock {
    type Instant = std::time::Instant;

    #[inline]
    fn now(&self) -> Self::Instant {
        tokio::time::Instant::now().into_std()
    }
}
