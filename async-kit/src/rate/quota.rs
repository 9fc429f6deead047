use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;

/// A rate: `n` permits per period, and a burst of permits that may be
/// taken at once after a quiet spell.
///
/// Permits come back one at a time, one every `period / n` (the emission
/// interval); the burst is how many can pile up, `n` unless
/// [`burst`](Rate::burst) says otherwise. Over any stretch of time `t`
/// after a quiet spell, at most `burst + t / (period / n)` permits are
/// given out.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::rate::Rate;
///
/// let rate = Rate::new(100, Duration::from_secs(60)).burst(10);
/// assert_eq!(rate.interval(), Duration::from_millis(600));
/// assert_eq!(rate.burst_size(), 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Rate {
    pub(crate) quota: Quota,
}

impl Rate {
    /// Creates a rate of `n` permits per second, with a burst of `n`.
    ///
    /// # Panics
    ///
    /// Panics if `n` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rate = async_kit::rate::Rate::per_second(20);
    /// assert_eq!(rate.interval(), Duration::from_millis(50));
    /// ```
    #[track_caller]
    pub fn per_second(n: u32) -> Self {
        Rate::new(n, Duration::from_secs(1))
    }

    /// Creates a rate of `n` permits per `period`, with a burst of `n`.
    ///
    /// # Panics
    ///
    /// Panics if `n` is zero, or if `period / n` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rate = async_kit::rate::Rate::new(3, Duration::from_secs(3));
    /// assert_eq!(rate.interval(), Duration::from_secs(1));
    /// assert_eq!(rate.burst_size(), 3);
    /// ```
    #[track_caller]
    pub fn new(n: u32, period: Duration) -> Self {
        let burst = NonZeroU32::new(n).expect("a rate needs at least one permit per period");
        let quota = Quota::with_period(period / n)
            .expect("a rate's interval (period / n) must be above zero")
            .allow_burst(burst);
        Rate { quota }
    }

    /// Sets how many permits may be taken at once after a quiet spell.
    ///
    /// # Panics
    ///
    /// Panics if `burst` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let rate = async_kit::rate::Rate::per_second(10).burst(1);
    /// assert_eq!(rate.burst_size(), 1);
    /// ```
    #[track_caller]
    pub fn burst(self, burst: u32) -> Self {
        let burst = NonZeroU32::new(burst).expect("a rate's burst must be at least one");
        Rate {
            quota: self.quota.allow_burst(burst),
        }
    }

    /// Returns the time it takes one permit to come back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(async_kit::rate::Rate::per_second(4).interval(), Duration::from_millis(250));
    /// ```
    #[must_use]
    pub fn interval(&self) -> Duration {
        self.quota.replenish_interval()
    }

    /// Returns the burst: how many permits may be taken at once.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(async_kit::rate::Rate::per_second(4).burst_size(), 4);
    /// ```
    #[must_use]
    pub fn burst_size(&self) -> u32 {
        self.quota.burst_size().get()
    }
}
