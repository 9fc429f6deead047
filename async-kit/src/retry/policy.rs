use std::time::Duration;

use super::budget::Budget;
use super::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backoff {
    Constant(Duration),
    Exponential {
        base: Duration,
        cap: Duration,
        jitter: bool,
    },
}

/// How a [`retry`](super::retry()) retries: how many attempts, how long to
/// wait between them, how much time an attempt needs at least, and which
/// [`Budget`] it draws from.
///
/// A policy is a small value: clone it, or build one per call (the builder
/// methods are `const`). Which errors to retry is set on the call, with
/// [`Retry::when`](super::Retry::when), because it depends on the error type.
///
/// The defaults ([`Policy::new`]): 3 attempts, exponential backoff from
/// 100 ms doubling up to 10 s with full jitter, no minimum budget, no shared
/// budget.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::retry::Policy;
///
/// let policy = Policy::exponential(Duration::from_millis(50))
///     .max_delay(Duration::from_secs(2))
///     .max_attempts(5)
///     .min_budget(Duration::from_millis(20));
/// assert_eq!(policy.get_max_attempts(), 5);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Policy {
    max_attempts: u32,
    backoff: Backoff,
    seed: Option<u64>,
    min_budget: Duration,
    pub(crate) budget: Option<Budget>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::new()
    }
}

impl Policy {
    /// Creates the default policy: 3 attempts, exponential backoff from
    /// 100 ms up to 10 s with full jitter.
    ///
    /// # Examples
    ///
    /// ```
    /// let policy = async_kit::retry::Policy::new();
    /// assert_eq!(policy.get_max_attempts(), 3);
    /// ```
    pub const fn new() -> Self {
        Policy::exponential(Duration::from_millis(100))
    }

    /// Creates a policy with exponential backoff and full jitter: the wait
    /// after attempt `n` is drawn uniformly from `0..=min(cap, base * 2^(n-1))`,
    /// with the cap 10 s until [`max_delay`](Policy::max_delay) sets it. The
    /// draw is in whole milliseconds, the resolution of tokio's timer.
    ///
    /// Full jitter (AWS's name) spreads the retries of many clients that
    /// failed together, so they do not come back in step.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::Policy;
    ///
    /// let policy = Policy::exponential(Duration::from_millis(100)).jitter(false);
    /// assert_eq!(policy.delay_bound(1), Duration::from_millis(100));
    /// assert_eq!(policy.delay_bound(4), Duration::from_millis(800));
    /// ```
    pub const fn exponential(base: Duration) -> Self {
        Policy {
            max_attempts: 3,
            backoff: Backoff::Exponential {
                base,
                cap: Duration::from_secs(10),
                jitter: true,
            },
            seed: None,
            min_budget: Duration::ZERO,
            budget: None,
        }
    }

    /// Creates a policy that waits `delay` between attempts, with no jitter.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::Policy;
    ///
    /// let policy = Policy::constant(Duration::from_millis(250));
    /// assert_eq!(policy.delay_bound(1), Duration::from_millis(250));
    /// assert_eq!(policy.delay_bound(9), Duration::from_millis(250));
    /// ```
    pub const fn constant(delay: Duration) -> Self {
        let mut policy = Policy::new();
        policy.backoff = Backoff::Constant(delay);
        policy
    }

    /// Sets how many attempts run at most, the first one included: `1`
    /// means no retry.
    ///
    /// # Panics
    ///
    /// Panics if `attempts` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::retry::Policy;
    ///
    /// assert_eq!(Policy::new().max_attempts(7).get_max_attempts(), 7);
    /// ```
    #[track_caller]
    pub const fn max_attempts(mut self, attempts: u32) -> Self {
        assert!(attempts > 0, "a retry policy needs at least one attempt");
        self.max_attempts = attempts;
        self
    }

    /// Returns how many attempts run at most.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(async_kit::retry::Policy::new().get_max_attempts(), 3);
    /// ```
    #[must_use]
    pub const fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Caps the exponential backoff's delay (before jitter). No effect on a
    /// constant policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::Policy;
    ///
    /// let policy = Policy::exponential(Duration::from_millis(100)).max_delay(Duration::from_millis(300));
    /// assert_eq!(policy.delay_bound(2), Duration::from_millis(200));
    /// assert_eq!(policy.delay_bound(3), Duration::from_millis(300));
    /// ```
    pub const fn max_delay(mut self, cap: Duration) -> Self {
        if let Backoff::Exponential { base, jitter, .. } = self.backoff {
            self.backoff = Backoff::Exponential { base, cap, jitter };
        }
        self
    }

    /// Turns the full jitter of an exponential backoff on (the default) or
    /// off. Without it each wait is exactly [`delay_bound`](Policy::delay_bound).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::Policy;
    ///
    /// let policy = Policy::exponential(Duration::from_secs(1)).jitter(false);
    /// assert_eq!(policy.delay_bound(3), Duration::from_secs(4));
    /// ```
    pub const fn jitter(mut self, on: bool) -> Self {
        if let Backoff::Exponential { base, cap, .. } = self.backoff {
            self.backoff = Backoff::Exponential {
                base,
                cap,
                jitter: on,
            };
        }
        self
    }

    /// Seeds the jitter's random source, so every retry run with this policy
    /// waits the same sequence of delays (for tests and reproductions).
    /// Unseeded, each run draws its own seed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::Policy;
    ///
    /// let policy = Policy::exponential(Duration::from_millis(100)).seed(42);
    /// # let _ = policy;
    /// ```
    pub const fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets the least time an attempt needs: a retry that would start with
    /// less than `budget` left before the propagated
    /// [`deadline`](crate::deadline) is not started, and the call gives up
    /// with [`Reason::Deadline`](super::Reason::Deadline). The default is
    /// zero: only an attempt that would start at or past the deadline is
    /// skipped.
    ///
    /// The first attempt always runs: the enclosing timeout bounds it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::{Policy, Reason, retry};
    /// use async_kit::time::timeout;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let policy = Policy::constant(Duration::from_millis(100))
    ///     .max_attempts(10)
    ///     .min_budget(Duration::from_millis(250));
    /// let start = tokio::time::Instant::now();
    /// let outcome = timeout(Duration::from_secs(1), retry(policy, || async { Err::<(), _>(()) })).await;
    /// let err = outcome.unwrap().unwrap_err();
    /// // Attempts at 0, 100, .., 700 ms; one at 800 ms would have 200 ms left.
    /// assert_eq!((err.reason(), err.attempts()), (Reason::Deadline, 8));
    /// assert_eq!(start.elapsed(), Duration::from_millis(700));
    /// # }
    /// ```
    pub const fn min_budget(mut self, budget: Duration) -> Self {
        self.min_budget = budget;
        self
    }

    /// Returns the least time an attempt needs ([`Policy::min_budget`]).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(async_kit::retry::Policy::new().get_min_budget().is_zero());
    /// ```
    #[must_use]
    pub const fn get_min_budget(&self) -> std::time::Duration {
        self.min_budget
    }

    /// Makes every retry of this policy draw from `budget`, shared with the
    /// other call sites that use it (it is a handle: clones share the count).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::{Budget, Policy};
    ///
    /// let budget = Budget::new(Duration::from_secs(10), 1, 0.2);
    /// let policy = Policy::new().budget(&budget);
    /// # let _ = policy;
    /// ```
    pub fn budget(mut self, budget: &Budget) -> Self {
        self.budget = Some(budget.clone());
        self
    }

    /// Returns the longest wait after attempt `n` (1 for the first) fails:
    /// the exact wait without jitter, the top of the jitter's range with it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::Policy;
    ///
    /// let policy = Policy::exponential(Duration::from_millis(10)).max_delay(Duration::from_millis(50));
    /// let bounds: Vec<u64> = (1..=5).map(|n| policy.delay_bound(n).as_millis() as u64).collect();
    /// assert_eq!(bounds, [10, 20, 40, 50, 50]);
    /// ```
    #[must_use]
    pub fn delay_bound(&self, attempt: u32) -> Duration {
        match self.backoff {
            Backoff::Constant(delay) => delay,
            Backoff::Exponential { base, cap, .. } => {
                let doublings = attempt.saturating_sub(1);
                1u32.checked_shl(doublings)
                    .and_then(|factor| base.checked_mul(factor))
                    .map_or(cap, |d| d.min(cap))
            }
        }
    }

    pub(crate) const fn rng(&self) -> Option<Rng> {
        match self.seed {
            Some(seed) => Some(Rng::seeded(seed)),
            None => None,
        }
    }

    /// The wait after attempt `n` failed, drawing from `rng` (seeded
    /// randomly on first use) for jitter.
    pub(crate) fn delay(&self, attempt: u32, rng: &mut Option<Rng>) -> Duration {
        let bound = self.delay_bound(attempt);
        match self.backoff {
            Backoff::Exponential { jitter: true, .. } => {
                // Whole milliseconds: tokio's timer rounds a wait up to the
                // next millisecond anyway, and this way the wait reported to
                // `on_retry` is the wait that happens.
                let millis = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
                let rng = rng.get_or_insert_with(Rng::random);
                Duration::from_millis(rng.up_to(millis))
            }
            _ => bound,
        }
    }
}
