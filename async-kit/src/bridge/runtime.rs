use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, Runtime};
use tokio::task::AbortHandle;

use super::error::SubmitError;
use super::report::ShutdownReport;
use super::submission::{Submission, assert_blocking_allowed};

/// A tokio runtime on threads of its own, to which any plain thread can
/// submit futures: the bridge from sync code (a thread, a C callback, a GUI
/// loop) into async code, as asyncio's `run_coroutine_threadsafe`.
///
/// [`submit`](Self::submit) returns a [`Submission`] that blocks
/// ([`wait`](Submission::wait), [`wait_timeout`](Submission::wait_timeout)),
/// is awaited from async code, or is [cancelled](Submission::cancel).
/// [`from_handle`](Self::from_handle) submits to a runtime that already runs
/// instead. [`shutdown`](Self::shutdown) lets the work in flight finish
/// until a deadline, cancels the rest, and reports both; later submits fail
/// with a [`SubmitError`] that hands the future back.
///
/// The handle is cheap to clone. Dropping the last handle without a
/// shutdown stops an owned runtime without waiting: the futures in flight
/// are cancelled.
///
/// # Comparison to `Handle::spawn`
///
/// [`Handle::spawn`] also works from any thread; this adds a runtime that
/// lives on its own threads, handles that block with a timeout, and an
/// orderly shutdown that knows which work was in flight.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::bridge::BackgroundRuntime;
///
/// let runtime = BackgroundRuntime::new().unwrap();
/// let workers: Vec<_> = (0..4_u64)
///     .map(|n| {
///         let runtime = runtime.clone();
///         std::thread::spawn(move || runtime.submit(async move { n * n }).unwrap().wait().unwrap())
///     })
///     .collect();
/// let sum: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
/// assert_eq!(sum, 14);
/// assert_eq!(runtime.shutdown(Duration::from_secs(1)).cancelled, 0);
/// ```
#[derive(Clone)]
pub struct BackgroundRuntime {
    inner: Arc<Inner>,
}

struct Inner {
    handle: Handle,
    // `None` when submitting to a runtime owned elsewhere, or after shutdown.
    runtime: Mutex<Option<Runtime>>,
    registry: Arc<Registry>,
}

/// The futures in flight, so that a shutdown can wait for them and cancel
/// the rest. Each one removes itself when it ends or is dropped.
#[derive(Default)]
struct Registry {
    state: Mutex<State>,
    emptied: Condvar,
}

#[derive(Default)]
struct State {
    closed: bool,
    // Set while a shutdown waits: futures that end then are counted.
    draining: bool,
    finished_while_draining: usize,
    next_id: u64,
    // The abort handle is filled in right after the spawn.
    in_flight: HashMap<u64, Option<AbortHandle>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The lock is never held across user code, so a poisoned state is
        // still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Lives inside a submitted future; removes it from the registry when the
/// future ends or is dropped.
struct Registration {
    registry: Arc<Registry>,
    id: u64,
    finished: bool,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut state = self.registry.lock();
        state.in_flight.remove(&self.id);
        if state.draining && self.finished {
            state.finished_while_draining += 1;
        }
        if state.in_flight.is_empty() {
            self.registry.emptied.notify_all();
        }
    }
}

impl BackgroundRuntime {
    /// Starts a multi-thread tokio runtime with one worker per core (all
    /// drivers on), its threads named `async-kit-bg`.
    ///
    /// # Errors
    ///
    /// Returns the operating system's error if a thread cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = async_kit::bridge::BackgroundRuntime::new().unwrap();
    /// assert_eq!(runtime.submit(async { 1 }).unwrap().wait().unwrap(), 1);
    /// ```
    pub fn new() -> io::Result<Self> {
        Self::build(tokio::runtime::Builder::new_multi_thread())
    }

    /// Starts a multi-thread tokio runtime with `threads` workers.
    ///
    /// # Errors
    ///
    /// Returns the operating system's error if a thread cannot be started.
    ///
    /// # Panics
    ///
    /// Panics if `threads` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = async_kit::bridge::BackgroundRuntime::with_worker_threads(1).unwrap();
    /// let name = runtime
    ///     .submit(async { std::thread::current().name().map(str::to_owned) })
    ///     .unwrap()
    ///     .wait()
    ///     .unwrap();
    /// assert_eq!(name.as_deref(), Some("async-kit-bg"));
    /// ```
    #[track_caller]
    pub fn with_worker_threads(threads: usize) -> io::Result<Self> {
        assert!(
            threads > 0,
            "a background runtime needs at least one thread"
        );
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads);
        Self::build(builder)
    }

    fn build(mut builder: tokio::runtime::Builder) -> io::Result<Self> {
        let runtime = builder.thread_name("async-kit-bg").enable_all().build()?;
        Ok(Self::with_parts(runtime.handle().clone(), Some(runtime)))
    }

    /// Submits to a runtime that already runs, through its `handle`.
    ///
    /// [`shutdown`](Self::shutdown) then stops this bridge only: it waits for
    /// and cancels the futures submitted through it, and leaves the runtime
    /// running.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::bridge::BackgroundRuntime;
    ///
    /// let app = tokio::runtime::Runtime::new().unwrap();
    /// let bridge = BackgroundRuntime::from_handle(app.handle().clone());
    /// let from_thread = std::thread::spawn(move || {
    ///     bridge.submit(async { "hi" }).unwrap().wait().unwrap()
    /// });
    /// assert_eq!(from_thread.join().unwrap(), "hi");
    /// ```
    #[must_use]
    pub fn from_handle(handle: Handle) -> Self {
        Self::with_parts(handle, None)
    }

    fn with_parts(handle: Handle, runtime: Option<Runtime>) -> Self {
        BackgroundRuntime {
            inner: Arc::new(Inner {
                handle,
                runtime: Mutex::new(runtime),
                registry: Arc::default(),
            }),
        }
    }

    /// Runs `future` on the runtime, and returns a handle to wait for it,
    /// await it, or cancel it.
    ///
    /// Callable from any thread, in sync or async code.
    ///
    /// # Errors
    ///
    /// [`SubmitError`], with the future, once [`shutdown`](Self::shutdown)
    /// has been called.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = async_kit::bridge::BackgroundRuntime::new().unwrap();
    /// let slow = runtime
    ///     .submit(async {
    ///         tokio::time::sleep(Duration::from_millis(1)).await;
    ///         "done"
    ///     })
    ///     .unwrap();
    /// assert_eq!(slow.wait().unwrap(), "done");
    /// ```
    pub fn submit<F>(&self, future: F) -> Result<Submission<F::Output>, SubmitError<F>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let registry = &self.inner.registry;
        let mut state = registry.lock();
        if state.closed {
            return Err(SubmitError::new(future));
        }
        let id = state.next_id;
        state.next_id += 1;
        // Registered before the spawn, so a shutdown counts every future
        // that was accepted.
        state.in_flight.insert(id, None);
        drop(state);
        let mut registration = Registration {
            registry: Arc::clone(registry),
            id,
            finished: false,
        };
        // Spawned without the lock: a runtime that is shutting down drops
        // the future inside `spawn`, and its registration takes the lock.
        let join = self.inner.handle.spawn(async move {
            let output = future.await;
            registration.finished = true;
            drop(registration);
            output
        });
        let mut state = registry.lock();
        let past_deadline = state.closed && !state.draining;
        if let Some(slot) = state.in_flight.get_mut(&id) {
            if past_deadline {
                // A shutdown passed its deadline meanwhile and could not
                // reach this future: cancel it here.
                join.abort();
            } else {
                *slot = Some(join.abort_handle());
            }
        }
        drop(state);
        Ok(Submission::new(join))
    }

    /// Returns the number of submitted futures that have not ended yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = async_kit::bridge::BackgroundRuntime::new().unwrap();
    /// assert_eq!(runtime.in_flight(), 0);
    /// let forever = runtime.submit(std::future::pending::<()>()).unwrap();
    /// assert_eq!(runtime.in_flight(), 1);
    /// # forever.cancel();
    /// ```
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.inner.registry.lock().in_flight.len()
    }

    /// Returns `true` once [`shutdown`](Self::shutdown) has been called.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = async_kit::bridge::BackgroundRuntime::new().unwrap();
    /// assert!(!runtime.is_closed());
    /// runtime.shutdown(Duration::ZERO);
    /// assert!(runtime.is_closed());
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.registry.lock().closed
    }

    /// Returns the handle of the runtime, to use it directly (spawn, enter).
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = async_kit::bridge::BackgroundRuntime::new().unwrap();
    /// let task = runtime.handle().spawn(async { 2 });
    /// assert_eq!(runtime.handle().block_on(task).unwrap(), 2);
    /// ```
    #[must_use]
    pub fn handle(&self) -> &Handle {
        &self.inner.handle
    }

    /// Stops taking submissions, lets the futures in flight finish until
    /// `timeout` has passed, then cancels the rest, and reports both.
    ///
    /// Futures are cancelled at their next `.await` that yields; for an
    /// owned runtime, the runtime then stops, waiting up to one more second
    /// for its threads (a future that blocks its thread without yielding
    /// cannot be stopped). A runtime given to
    /// [`from_handle`](Self::from_handle) keeps running. A second call
    /// reports nothing.
    ///
    /// # Panics
    ///
    /// Panics when called from async code (a thread inside a tokio runtime):
    /// it blocks the thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::bridge::BackgroundRuntime;
    ///
    /// let runtime = BackgroundRuntime::new().unwrap();
    /// let watcher = runtime.clone();
    /// // In flight when the shutdown begins, and done soon after.
    /// let polite = runtime
    ///     .submit(async move {
    ///         while !watcher.is_closed() {
    ///             tokio::time::sleep(Duration::from_millis(1)).await;
    ///         }
    ///     })
    ///     .unwrap();
    /// let stuck = runtime.submit(std::future::pending::<()>()).unwrap();
    ///
    /// let report = runtime.shutdown(Duration::from_millis(200));
    /// assert_eq!((report.finished, report.cancelled), (1, 1));
    /// assert!(polite.wait().is_ok());
    /// assert!(stuck.wait().unwrap_err().is_cancelled());
    /// assert!(runtime.submit(async {}).is_err());
    /// ```
    #[track_caller]
    pub fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        assert_blocking_allowed("BackgroundRuntime::shutdown");
        let deadline = Instant::now().checked_add(timeout);
        let registry = &self.inner.registry;
        let mut state = registry.lock();
        if state.closed {
            return ShutdownReport::default();
        }
        state.closed = true;
        state.draining = true;
        let in_flight = state.in_flight.len();
        while !state.in_flight.is_empty() {
            let wait = match deadline {
                None => Duration::MAX,
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    deadline - now
                }
            };
            state = registry
                .emptied
                .wait_timeout(state, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.draining = false;
        let finished = state.finished_while_draining;
        for task in state.in_flight.values().flatten() {
            task.abort();
        }
        drop(state);
        let runtime = self
            .inner
            .runtime
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(runtime) = runtime {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
        ShutdownReport {
            finished,
            cancelled: in_flight - finished,
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let runtime = self
            .runtime
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(runtime) = runtime {
            // Never blocks, so the last handle may be dropped anywhere, even
            // in async code.
            runtime.shutdown_background();
        }
    }
}

impl fmt::Debug for BackgroundRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.registry.lock();
        f.debug_struct("BackgroundRuntime")
            .field("in_flight", &state.in_flight.len())
            .field("closed", &state.closed)
            .finish_non_exhaustive()
    }
}
