use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::time::{Instant, MissedTickBehavior};

use super::call::{once, spawned};
use super::driver::{Core, far_add};
use super::every::periodic;
use super::handle::TimerHandle;

/// An owner of timers that cancels them all when it is dropped or closed,
/// so that nothing fires after its owner is gone.
///
/// It has the methods of the free functions ([`call_soon`],
/// [`call_later`], [`call_at`], the `spawn_*` forms, [`call_every`]) with
/// the same rules, and its own driver task: its callbacks run in order
/// among themselves, independently of the runtime's default timers.
/// Keep a `Scheduler` in a struct whose lifetime should bound its timers
/// (a connection, a session, a cache): dropping the struct cancels them.
///
/// A `Scheduler` is not `Clone`, since dropping it has an effect; share it
/// behind an `Arc`, or hand out [`TimerHandle`]s. If its runtime shuts
/// down first, it is closed too.
///
/// # Comparison to a `JoinSet` of sleeping tasks
///
/// A [`JoinSet`](tokio::task::JoinSet) also aborts its tasks on drop. A
/// task per timer costs a task allocation and a tokio timer each; a
/// `Scheduler` keeps pending timers in one heap behind one driver task, and
/// gives each a [`TimerHandle`] that can cancel or move it from any thread.
/// Use a `JoinSet` when each timer starts real asynchronous work.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::Scheduler;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
/// let scheduler = Scheduler::new();
/// for secs in [1, 2, 3] {
///     let tx = tx.clone();
///     scheduler.call_later(Duration::from_secs(secs), move || tx.send(secs).unwrap());
/// }
/// drop(tx);
/// assert_eq!(rx.recv().await, Some(1));
/// drop(scheduler);
/// assert_eq!(rx.recv().await, None, "the others were cancelled and dropped");
/// # }
/// ```
///
/// [`call_soon`]: super::call_soon
/// [`call_later`]: super::call_later
/// [`call_at`]: super::call_at
/// [`call_every`]: super::call_every
pub struct Scheduler {
    core: Arc<Core>,
}

impl Scheduler {
    /// Creates a scheduler and spawns its driver task on the current
    /// runtime.
    ///
    /// # Panics
    ///
    /// Panics if called outside the context of a tokio runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = async_kit::time::Scheduler::new();
    /// assert!(!scheduler.is_closed());
    /// # }
    /// ```
    #[track_caller]
    #[must_use]
    pub fn new() -> Self {
        let runtime = match Handle::try_current() {
            Ok(runtime) => runtime,
            Err(_) => panic!(
                "there is no reactor running, must be called from the context of a Tokio 1.x runtime"
            ),
        };
        Scheduler {
            core: Core::start(&runtime),
        }
    }

    /// Schedules `f` to run as soon as possible; see
    /// [`call_soon`](super::call_soon).
    ///
    /// On a closed scheduler `f` is dropped and the handle is cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::time::Scheduler;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = Scheduler::new();
    /// let (tx, rx) = tokio::sync::oneshot::channel();
    /// scheduler.call_soon(move || tx.send(1).unwrap());
    /// assert_eq!(rx.await, Ok(1));
    ///
    /// scheduler.close();
    /// assert!(scheduler.call_soon(|| {}).is_cancelled());
    /// # }
    /// ```
    pub fn call_soon<F: FnOnce() + Send + 'static>(&self, f: F) -> TimerHandle {
        self.core.schedule(Instant::now(), once(f))
    }

    /// Schedules `f` to run once `delay` has passed; see
    /// [`call_later`](super::call_later).
    ///
    /// On a closed scheduler `f` is dropped and the handle is cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::Scheduler;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = Scheduler::new();
    /// let handle = scheduler.call_later(Duration::from_secs(1), || {});
    /// assert_eq!(handle.when(), Instant::now() + Duration::from_secs(1));
    /// # }
    /// ```
    pub fn call_later<F: FnOnce() + Send + 'static>(&self, delay: Duration, f: F) -> TimerHandle {
        self.core.schedule(far_add(Instant::now(), delay), once(f))
    }

    /// Schedules `f` to run at the instant `when`; see
    /// [`call_at`](super::call_at).
    ///
    /// On a closed scheduler `f` is dropped and the handle is cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::Scheduler;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = Scheduler::new();
    /// let at = Instant::now() + Duration::from_secs(1);
    /// let (tx, rx) = tokio::sync::oneshot::channel();
    /// scheduler.call_at(at, move || tx.send(Instant::now()).unwrap());
    /// assert_eq!(rx.await, Ok(at));
    /// # }
    /// ```
    pub fn call_at<F: FnOnce() + Send + 'static>(&self, when: Instant, f: F) -> TimerHandle {
        self.core.schedule(when, once(f))
    }

    /// Spawns `future` as a task as soon as possible; see
    /// [`spawn_soon`](super::spawn_soon).
    ///
    /// Closing the scheduler drops the future if it has not been spawned
    /// yet; a task already spawned keeps running.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::time::Scheduler;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = Scheduler::new();
    /// let (tx, rx) = tokio::sync::oneshot::channel();
    /// scheduler.spawn_soon(async move { tx.send(1).unwrap() });
    /// assert_eq!(rx.await, Ok(1));
    /// # }
    /// ```
    pub fn spawn_soon<F>(&self, future: F) -> TimerHandle
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.core.schedule(Instant::now(), spawned(future))
    }

    /// Spawns `future` as a task once `delay` has passed; see
    /// [`spawn_later`](super::spawn_later).
    ///
    /// Closing the scheduler drops the future if it has not been spawned
    /// yet; a task already spawned keeps running.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::Scheduler;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = Scheduler::new();
    /// let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    /// scheduler.spawn_later(Duration::from_secs(1), async move { tx.send(()).unwrap() });
    /// drop(scheduler);
    /// assert!(rx.await.is_err(), "the future was dropped unpolled");
    /// # }
    /// ```
    pub fn spawn_later<F>(&self, delay: Duration, future: F) -> TimerHandle
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.core
            .schedule(far_add(Instant::now(), delay), spawned(future))
    }

    /// Spawns `future` as a task at the instant `when`; see
    /// [`spawn_at`](super::spawn_at).
    ///
    /// Closing the scheduler drops the future if it has not been spawned
    /// yet; a task already spawned keeps running.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::Scheduler;
    /// use tokio::time::Instant;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = Scheduler::new();
    /// let at = Instant::now() + Duration::from_secs(1);
    /// let (tx, rx) = tokio::sync::oneshot::channel();
    /// scheduler.spawn_at(at, async move { tx.send(Instant::now()).unwrap() });
    /// assert_eq!(rx.await, Ok(at));
    /// # }
    /// ```
    pub fn spawn_at<F>(&self, when: Instant, future: F) -> TimerHandle
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.core.schedule(when, spawned(future))
    }

    /// Calls `f` every `period`, catching up missed ticks in a burst; see
    /// [`call_every`](super::call_every).
    ///
    /// # Panics
    ///
    /// Panics if `period` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::Scheduler;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = Scheduler::new();
    /// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    /// let mut n = 0;
    /// scheduler.call_every(Duration::from_secs(1), move || {
    ///     n += 1;
    ///     let _ = tx.send(n);
    /// });
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, Some(2));
    /// scheduler.close();
    /// assert_eq!(rx.recv().await, None);
    /// # }
    /// ```
    #[track_caller]
    pub fn call_every<F: FnMut() + Send + 'static>(&self, period: Duration, f: F) -> TimerHandle {
        self.call_every_with(period, MissedTickBehavior::Burst, f)
    }

    /// Calls `f` every `period`, handling missed ticks as `missed` says;
    /// see [`call_every_with`](super::call_every_with).
    ///
    /// # Panics
    ///
    /// Panics if `period` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::Scheduler;
    /// use tokio::time::{Instant, MissedTickBehavior};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = Scheduler::new();
    /// let start = Instant::now();
    /// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    /// scheduler.call_every_with(Duration::from_millis(10), MissedTickBehavior::Delay, move || {
    ///     let _ = tx.send(start.elapsed().as_millis());
    /// });
    /// tokio::time::advance(Duration::from_millis(35)).await;
    /// assert_eq!(rx.recv().await, Some(35));
    /// assert_eq!(rx.recv().await, Some(45), "the schedule shifted");
    /// # }
    /// ```
    #[track_caller]
    pub fn call_every_with<F: FnMut() + Send + 'static>(
        &self,
        period: Duration,
        missed: MissedTickBehavior,
        f: F,
    ) -> TimerHandle {
        let (first, callback) = periodic(period, missed, f);
        self.core.schedule(first, callback)
    }

    /// Closes the scheduler: cancels every timer it owns and stops its
    /// driver task. Returns `true` if this call closed it.
    ///
    /// A callback that is running when `close` is called finishes; none
    /// starts after `close` returns. The cancelled callbacks are dropped
    /// before it returns. Dropping the scheduler closes it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::time::Scheduler;
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = Scheduler::new();
    /// let handle = scheduler.call_later(Duration::from_secs(1), || {});
    /// assert!(scheduler.close());
    /// assert!(!scheduler.close());
    /// assert!(handle.is_cancelled());
    /// # }
    /// ```
    pub fn close(&self) -> bool {
        self.core.close()
    }

    /// Returns `true` if the scheduler is closed: by [`close`](Self::close),
    /// or because its runtime shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let scheduler = async_kit::time::Scheduler::new();
    /// scheduler.close();
    /// assert!(scheduler.is_closed());
    /// # }
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }
}

impl Default for Scheduler {
    /// Same as [`Scheduler::new`], and panics in the same case.
    #[track_caller]
    fn default() -> Self {
        Scheduler::new()
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.core.close();
    }
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("closed", &self.core.is_closed())
            .finish()
    }
}
