use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How many slots the window is cut into: a call ages out of the window
/// within a tenth of its length.
const SLOTS: usize = 10;

/// A retry budget shared by many call sites: retries are capped to a
/// fraction of the calls made in a recent window, so an outage does not
/// turn every call into `max_attempts` calls (a retry storm).
///
/// Each [`retry`](super::retry()) run whose [`Policy`](super::Policy) has the
/// budget counts one call when it starts, and asks the budget before each
/// retry. A retry is allowed while the retries of the last `window` stay at
/// most `min_per_sec * window + ratio * calls`; the reserve lets a service
/// with little traffic still retry. A refused retry ends the call with
/// [`Reason::Budget`](super::Reason::Budget).
///
/// This is the idea of tower's `TpsBudget` and Finagle's retry budget; the
/// window moves in steps of a tenth of its length. The budget is a handle:
/// clones share one count, and it counts with the tokio clock, so tests can
/// pause and advance it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::retry::{Budget, Policy, Reason, retry};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// // No reserve; retries may add half of the calls made in the last 10 s.
/// let budget = Budget::new(Duration::from_secs(10), 0, 0.5);
/// let policy = Policy::constant(Duration::from_millis(1)).max_attempts(10).budget(&budget);
///
/// // One call: half a retry is no retry.
/// let err = retry(policy.clone(), || async { Err::<(), _>(()) }).await.unwrap_err();
/// assert_eq!((err.reason(), err.attempts()), (Reason::Budget, 1));
///
/// // The second call brings the allowance to one retry.
/// let err = retry(policy, || async { Err::<(), _>(()) }).await.unwrap_err();
/// assert_eq!((err.reason(), err.attempts()), (Reason::Budget, 2));
/// # }
/// ```
#[derive(Clone)]
pub struct Budget {
    inner: Arc<Inner>,
}

struct Inner {
    slot_width: Duration,
    reserve: u64,
    ratio: f64,
    start: Instant,
    window: Mutex<Window>,
}

struct Window {
    /// Index of the slot `calls[epoch % SLOTS]` was last written in.
    epoch: u64,
    calls: [u64; SLOTS],
    retries: [u64; SLOTS],
}

impl Budget {
    /// Creates a budget over a window of `window`, with a reserve of
    /// `min_per_sec` retries per second and retries adding at most `ratio`
    /// (for example `0.2` for 20 %) of the calls made.
    ///
    /// # Panics
    ///
    /// Panics if `window` is zero, or `ratio` is negative, not finite or
    /// above 1000.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::Budget;
    ///
    /// let budget = Budget::new(Duration::from_secs(10), 10, 0.2);
    /// # let _ = budget;
    /// ```
    #[track_caller]
    #[must_use]
    pub fn new(window: Duration, min_per_sec: u32, ratio: f64) -> Self {
        assert!(!window.is_zero(), "a retry budget needs a non-zero window");
        assert!(
            ratio.is_finite() && (0.0..=1000.0).contains(&ratio),
            "a retry budget's ratio must be between 0 and 1000, not {ratio}"
        );
        let slot_width = (window / SLOTS as u32).max(Duration::from_nanos(1));
        let reserve = (f64::from(min_per_sec) * window.as_secs_f64()) as u64;
        Budget {
            inner: Arc::new(Inner {
                slot_width,
                reserve,
                ratio,
                start: Instant::now(),
                window: Mutex::new(Window {
                    epoch: 0,
                    calls: [0; SLOTS],
                    retries: [0; SLOTS],
                }),
            }),
        }
    }

    /// Counts a call (a first attempt).
    pub(crate) fn deposit(&self) {
        let mut window = self.lock();
        let slot = window.advance(self.epoch_now());
        window.calls[slot] += 1;
    }

    /// Takes one retry from the budget if the window allows it.
    pub(crate) fn withdraw(&self) -> bool {
        let mut window = self.lock();
        let slot = window.advance(self.epoch_now());
        let calls: u64 = window.calls.iter().sum();
        let retries: u64 = window.retries.iter().sum();
        let allowed = self.inner.reserve + (calls as f64 * self.inner.ratio) as u64;
        if retries < allowed {
            window.retries[slot] += 1;
            true
        } else {
            false
        }
    }

    fn epoch_now(&self) -> u64 {
        let since = Instant::now().saturating_duration_since(self.inner.start);
        u64::try_from(since.as_nanos() / self.inner.slot_width.as_nanos()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        // Nothing panics while the lock is held; a poisoned lock still holds
        // consistent counts.
        self.inner
            .window
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Window {
    /// Moves the window to `epoch`, clearing the slots that aged out, and
    /// returns the slot to count in.
    fn advance(&mut self, epoch: u64) -> usize {
        if epoch > self.epoch {
            let stale = (epoch - self.epoch).min(SLOTS as u64);
            for step in 1..=stale {
                let slot = ((self.epoch + step) % SLOTS as u64) as usize;
                self.calls[slot] = 0;
                self.retries[slot] = 0;
            }
            self.epoch = epoch;
        }
        (self.epoch % SLOTS as u64) as usize
    }
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let window = self.lock();
        f.debug_struct("Budget")
            .field("window", &(self.inner.slot_width * SLOTS as u32))
            .field("reserve", &self.inner.reserve)
            .field("ratio", &self.inner.ratio)
            .field("calls", &window.calls.iter().sum::<u64>())
            .field("retries", &window.retries.iter().sum::<u64>())
            .finish()
    }
}
