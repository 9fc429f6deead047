use std::cell::RefCell;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use tokio::runtime::{self, Handle};
use tokio::time::Instant;

use super::driver::{Callback, Core, far_add};
use super::handle::TimerHandle;

/// The default scheduler of each live runtime, found by runtime id. An
/// entry whose core is gone or closed (its runtime shut down, which drops
/// the driver task and closes the core) is replaced. tokio hands out
/// runtime ids from a 64-bit counter, so an id is not reused in practice.
static DEFAULTS: Mutex<Vec<(runtime::Id, Weak<Core>)>> = Mutex::new(Vec::new());

thread_local! {
    /// The last default scheduler this thread used, so that scheduling from
    /// the same runtime again skips the global lock. A closed core kept
    /// here holds no timers (closing empties its heap).
    static LAST: RefCell<Option<(runtime::Id, Arc<Core>)>> = const { RefCell::new(None) };
}

/// The current runtime's default scheduler, started on first use.
#[track_caller]
pub(crate) fn default_core() -> Arc<Core> {
    let runtime = match Handle::try_current() {
        Ok(runtime) => runtime,
        Err(_) => panic!(
            "there is no reactor running, must be called from the context of a Tokio 1.x runtime"
        ),
    };
    let id = runtime.id();
    let cached = LAST.with_borrow(|last| match last {
        Some((of, core)) if *of == id && !core.is_closed() => Some(core.clone()),
        _ => None,
    });
    if let Some(core) = cached {
        return core;
    }
    let core = shared_core(&runtime, id);
    LAST.set(Some((id, core.clone())));
    core
}

fn shared_core(runtime: &Handle, id: runtime::Id) -> Arc<Core> {
    let mut defaults = DEFAULTS.lock().unwrap_or_else(PoisonError::into_inner);
    let live = |weak: &Weak<Core>| weak.upgrade().filter(|core| !core.is_closed());
    if let Some(core) = defaults
        .iter()
        .find(|(of, _)| *of == id)
        .and_then(|(_, weak)| live(weak))
    {
        return core;
    }
    defaults.retain(|(_, weak)| live(weak).is_some());
    let core = Core::start(runtime);
    defaults.push((id, Arc::downgrade(&core)));
    core
}

pub(crate) fn once<F: FnOnce() + Send + 'static>(f: F) -> Callback {
    Callback::Once(Box::new(f))
}

pub(crate) fn spawned<F>(future: F) -> Callback
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // The driver runs callbacks inside its runtime, so `tokio::spawn` finds
    // it; the task is detached, like one spawned and never joined.
    Callback::Once(Box::new(move || drop(tokio::spawn(future))))
}

/// Schedules `f` to run as soon as possible, after the callbacks already
/// due, on the current runtime's timer driver.
///
/// asyncio's `loop.call_soon`. Callbacks due at the same instant run in the
/// order they were scheduled (from any thread: the order in which the
/// calls took the driver's lock). Each runtime has one driver task that
/// runs every callback of the free functions in turn, so `f` must be
/// short and must not block: spawn a task (see [`spawn_soon`]) for anything
/// longer. A panic in `f` is caught after the panic hook has reported it
/// (by default on stderr), and the driver goes on with the next callback.
///
/// When the runtime shuts down, callbacks that have not run are dropped and
/// their handles report [`is_cancelled`](TimerHandle::is_cancelled).
///
/// # Panics
///
/// Panics if called outside the context of a tokio runtime.
///
/// # Examples
///
/// ```
/// use async_kit::time::call_soon;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
/// for i in 0..3 {
///     let tx = tx.clone();
///     call_soon(move || tx.send(i).unwrap());
/// }
/// drop(tx);
/// let mut order = Vec::new();
/// while let Some(i) = rx.recv().await {
///     order.push(i);
/// }
/// assert_eq!(order, [0, 1, 2]);
/// # }
/// ```
#[track_caller]
pub fn call_soon<F: FnOnce() + Send + 'static>(f: F) -> TimerHandle {
    default_core().schedule(Instant::now(), once(f))
}

/// Schedules `f` to run once `delay` has passed.
///
/// asyncio's `loop.call_later`. The rules of [`call_soon`] apply: same
/// instant, scheduling order; `f` runs on the runtime's timer driver, so
/// it must be short; panics are caught after the hook reports them.
/// Pending timers cost no task and no tokio timer each: one driver task per
/// runtime keeps them in a binary heap (O(log n) to schedule and to fire)
/// and sleeps until the earliest.
///
/// # Panics
///
/// Panics if called outside the context of a tokio runtime.
///
/// # Comparison to a sleeping task
///
/// `tokio::spawn(async move { sleep(delay).await; f() })` does the same
/// with a task and a tokio timer per callback. With 100,000 pending,
/// `call_later` takes well under half the memory (about 180 bytes each
/// against 460 in `benches/timers.rs`), schedules faster, and gives a
/// handle that can move the deadline. Spawn a task, or use
/// [`spawn_later`], when the work after the delay is itself asynchronous.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::call_later;
/// use tokio::time::Instant;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let start = Instant::now();
/// let (tx, rx) = tokio::sync::oneshot::channel();
/// let _handle = call_later(Duration::from_millis(250), move || tx.send(Instant::now()).unwrap());
/// assert_eq!(rx.await.unwrap() - start, Duration::from_millis(250));
/// # }
/// ```
#[track_caller]
pub fn call_later<F: FnOnce() + Send + 'static>(delay: Duration, f: F) -> TimerHandle {
    default_core().schedule(far_add(Instant::now(), delay), once(f))
}

/// Schedules `f` to run at the instant `when` (tokio's clock).
///
/// asyncio's `loop.call_at`. An instant in the past makes `f` due at once.
/// The rules of [`call_soon`] and [`call_later`] apply.
///
/// # Panics
///
/// Panics if called outside the context of a tokio runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::call_at;
/// use tokio::time::Instant;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let at = Instant::now() + Duration::from_secs(2);
/// let (tx, rx) = tokio::sync::oneshot::channel();
/// let handle = call_at(at, move || tx.send(Instant::now()).unwrap());
/// assert_eq!(handle.when(), at);
/// assert_eq!(rx.await.unwrap(), at);
/// # }
/// ```
#[track_caller]
pub fn call_at<F: FnOnce() + Send + 'static>(when: Instant, f: F) -> TimerHandle {
    default_core().schedule(when, once(f))
}

/// Spawns `future` as a tokio task as soon as possible, after the callbacks
/// already due: the async form of [`call_soon`].
///
/// Until it is spawned, the future waits unpolled in the timer heap, and
/// [`cancel`](TimerHandle::cancel) drops it. Once spawned it is an ordinary
/// detached task: the handle no longer reaches it, and a panic in it is
/// reported as for any task whose `JoinHandle` was dropped.
///
/// # Panics
///
/// Panics if called outside the context of a tokio runtime.
///
/// # Examples
///
/// ```
/// use async_kit::time::spawn_soon;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let (tx, rx) = tokio::sync::oneshot::channel();
/// let _handle = spawn_soon(async move {
///     tokio::task::yield_now().await;
///     tx.send("spawned").unwrap();
/// });
/// assert_eq!(rx.await.unwrap(), "spawned");
/// # }
/// ```
#[track_caller]
pub fn spawn_soon<F>(future: F) -> TimerHandle
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    default_core().schedule(Instant::now(), spawned(future))
}

/// Spawns `future` as a tokio task once `delay` has passed: the async form
/// of [`call_later`].
///
/// See [`spawn_soon`] for what the handle can do before and after.
///
/// # Panics
///
/// Panics if called outside the context of a tokio runtime.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::time::Duration;
/// use async_kit::time::spawn_later;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let polled = Arc::new(AtomicBool::new(false));
/// let flag = polled.clone();
/// let handle = spawn_later(Duration::from_secs(1), async move { flag.store(true, Ordering::SeqCst) });
/// assert!(handle.cancel(), "the future is dropped unpolled");
/// tokio::time::sleep(Duration::from_secs(2)).await;
/// assert!(!polled.load(Ordering::SeqCst));
/// # }
/// ```
#[track_caller]
pub fn spawn_later<F>(delay: Duration, future: F) -> TimerHandle
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    default_core().schedule(far_add(Instant::now(), delay), spawned(future))
}

/// Spawns `future` as a tokio task at the instant `when`: the async form of
/// [`call_at`].
///
/// See [`spawn_soon`] for what the handle can do before and after.
///
/// # Panics
///
/// Panics if called outside the context of a tokio runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::time::spawn_at;
/// use tokio::time::Instant;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let at = Instant::now() + Duration::from_secs(1);
/// let (tx, rx) = tokio::sync::oneshot::channel();
/// let _handle = spawn_at(at, async move { tx.send(Instant::now()).unwrap() });
/// assert_eq!(rx.await.unwrap(), at);
/// # }
/// ```
#[track_caller]
pub fn spawn_at<F>(when: Instant, future: F) -> TimerHandle
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    default_core().schedule(when, spawned(future))
}
