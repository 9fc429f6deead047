use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use super::call::default_core;
use super::driver::{Callback, Periodic, far_add};
use super::handle::TimerHandle;

#[track_caller]
pub(crate) fn periodic<F: FnMut() + Send + 'static>(
    period: Duration,
    missed: MissedTickBehavior,
    f: F,
) -> (Instant, Callback) {
    assert!(period > Duration::ZERO, "`period` must be non-zero");
    let first = far_add(Instant::now(), period);
    let callback = Callback::Every(Periodic {
        f: Box::new(f),
        period,
        missed,
    });
    (first, callback)
}

/// Calls `f` every `period`, first once `period` has passed, until the
/// returned handle is cancelled; missed ticks are caught up in a burst.
///
/// asyncio has no such call; this is tokio's [`interval`] as a callback.
/// Ticks are `period` apart, counted from this call, not from the end of
/// the previous run. A tick is *missed* when its deadline has passed before
/// the previous one ran (the driver was busy, or the clock jumped); then
/// this form runs the missed ticks at once, one after the other, as
/// [`MissedTickBehavior::Burst`] (tokio's default). Choose another
/// behaviour with [`call_every_with`].
///
/// `f` runs on the runtime's timer driver, as the callbacks of
/// [`call_later`](super::call_later) do: it must be short and must not
/// block. If it panics, the panic hook reports it (by default on stderr)
/// and the timer stops, as a task with an interval loop would; the driver
/// goes on. [`TimerHandle::when`] tells the next tick, and
/// [`TimerHandle::reschedule`] moves it (the period then goes on from
/// there).
///
/// # Panics
///
/// Panics if `period` is zero, or if called outside the context of a
/// tokio runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::call_every;
/// use tokio::time::Instant;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = Instant::now();
/// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
/// let handle = call_every(Duration::from_secs(1), move || {
///     let _ = tx.send(start.elapsed().as_secs());
/// });
/// let mut ticks = Vec::new();
/// for _ in 0..3 {
///     ticks.push(rx.recv().await.unwrap());
/// }
/// handle.cancel();
/// assert_eq!(ticks, [1, 2, 3]);
/// assert_eq!(rx.recv().await, None, "cancelling dropped the callback");
/// # }
/// ```
///
/// [`interval`]: tokio::time::interval
#[track_caller]
pub fn call_every<F: FnMut() + Send + 'static>(period: Duration, f: F) -> TimerHandle {
    call_every_with(period, MissedTickBehavior::Burst, f)
}

/// Calls `f` every `period`, first once `period` has passed, handling
/// missed ticks as `missed` says.
///
/// As [`call_every`], with tokio's behaviours for a tick that is missed
/// (its deadline passed before the previous tick ran), where `t` is the
/// missed tick's deadline and `now` when the previous one ran:
///
/// - [`Burst`](MissedTickBehavior::Burst): runs every missed tick at once,
///   then keeps the original schedule.
/// - [`Delay`](MissedTickBehavior::Delay): next tick at `now + period`;
///   the schedule shifts.
/// - [`Skip`](MissedTickBehavior::Skip): drops the missed ticks; the next
///   tick is the first one of the original schedule after `now`.
///
/// Unlike tokio's [`Interval`], which applies them only past 5 ms of
/// lateness, these rules apply only when a whole tick was missed; a tick
/// that is merely late never shifts the schedule.
///
/// # Panics
///
/// Panics if `period` is zero, or if called outside the context of a
/// tokio runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::call_every_with;
/// use tokio::time::{Instant, MissedTickBehavior};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = Instant::now();
/// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
/// let handle = call_every_with(Duration::from_millis(10), MissedTickBehavior::Skip, move || {
///     let _ = tx.send(start.elapsed().as_millis());
/// });
/// // The clock jumps 35 ms: the ticks due at 10, 20 and 30 ms become one.
/// tokio::time::advance(Duration::from_millis(35)).await;
/// assert_eq!(rx.recv().await, Some(35));
/// assert_eq!(rx.recv().await, Some(40));
/// handle.cancel();
/// # }
/// ```
///
/// [`Interval`]: tokio::time::Interval
#[track_caller]
pub fn call_every_with<F: FnMut() + Send + 'static>(
    period: Duration,
    missed: MissedTickBehavior,
    f: F,
) -> TimerHandle {
    let (first, callback) = periodic(period, missed, f);
    default_core().schedule(first, callback)
}
