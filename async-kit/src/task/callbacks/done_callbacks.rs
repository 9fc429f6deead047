use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// How a task finished, as its done callbacks see it.
///
/// # Examples
///
/// ```
/// use async_kit::task::{DoneCallbacks, Outcome};
///
/// let callbacks = DoneCallbacks::new();
/// callbacks.add(|outcome: Outcome<'_, u8>| {
///     assert!(matches!(outcome, Outcome::Completed(Some(&5))));
/// });
/// assert!(callbacks.complete(5).is_ok());
/// ```
#[derive(Debug)]
pub enum Outcome<'a, T> {
    /// The task returned its output. The output is `None` only for a
    /// callback added after the output was handed to whoever awaited the
    /// task: add callbacks before awaiting to see it.
    Completed(Option<&'a T>),
    /// The task panicked. The panic itself goes to whoever awaits the task.
    Panicked,
    /// The task was dropped before completing: aborted, or its runtime shut
    /// down.
    Cancelled,
}

impl<T> Clone for Outcome<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Outcome<'_, T> {}

/// Identifies a callback added to [`DoneCallbacks`], to remove it later.
///
/// # Examples
///
/// ```
/// use async_kit::task::DoneCallbacks;
///
/// let callbacks = DoneCallbacks::<()>::new();
/// let id = callbacks.add(|_| unreachable!("removed before the end"));
/// assert!(callbacks.remove(id));
/// assert!(!callbacks.remove(id));
/// callbacks.cancelled();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CallbackId(u64);

type Callback<T> = Box<dyn FnOnce(Outcome<'_, T>) + Send>;

/// The done callbacks of one task: asyncio's `add_done_callback` as a part
/// that any task handle can embed.
///
/// The owner of a task keeps one in an `Arc`, lets users [`add`](Self::add)
/// and [`remove`](Self::remove) callbacks through its handle, and reports
/// the end of the task exactly once with [`complete`](Self::complete),
/// [`panicked`](Self::panicked) or [`cancelled`](Self::cancelled). The
/// completed output is kept here until the handle takes it with
/// [`take_output`](Self::take_output). [`task::spawn`](crate::task::spawn)
/// is built on it.
///
/// # Rules
///
/// - Callbacks run in the order they were added, each once, on the thread
///   that reports the end (or, for a callback added after the end, on the
///   thread that adds it, before [`add`](Self::add) returns).
/// - A callback added while the callbacks are running is queued behind them
///   and run by the same thread, so the order holds across threads.
/// - A panicking callback is caught: the others still run and the task's
///   output is untouched. The panic is reported where every Rust panic is,
///   by the panic hook (by default a message on standard error); its payload
///   is dropped.
/// - No lock is held while a callback runs, so a callback may add or remove
///   callbacks.
/// - Callbacks never reported to are dropped without running when this is
///   dropped.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use async_kit::task::{DoneCallbacks, Outcome};
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let callbacks = DoneCallbacks::new();
/// for name in ["first", "second"] {
///     let log = log.clone();
///     callbacks.add(move |outcome: Outcome<'_, i32>| {
///         if let Outcome::Completed(Some(n)) = outcome {
///             log.lock().unwrap().push(format!("{name}: {n}"));
///         }
///     });
/// }
/// callbacks.complete(3).unwrap();
/// assert_eq!(*log.lock().unwrap(), ["first: 3", "second: 3"]);
/// assert_eq!(callbacks.take_output(), Some(3));
/// ```
pub struct DoneCallbacks<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    next_id: u64,
    queue: VecDeque<(CallbackId, Callback<T>)>,
    stage: Stage<T>,
}

enum Stage<T> {
    Pending,
    /// Some thread is running the queue and holds the end state meanwhile.
    Running,
    Done(End<T>),
}

enum End<T> {
    Completed(Option<T>),
    Panicked,
    Cancelled,
}

impl<T> End<T> {
    fn outcome(&self) -> Outcome<'_, T> {
        match self {
            End::Completed(output) => Outcome::Completed(output.as_ref()),
            End::Panicked => Outcome::Panicked,
            End::Cancelled => Outcome::Cancelled,
        }
    }
}

impl<T> DoneCallbacks<T> {
    /// Creates the callbacks of a task that has not finished.
    ///
    /// # Examples
    ///
    /// ```
    /// let callbacks = async_kit::task::DoneCallbacks::<u8>::new();
    /// assert!(!callbacks.is_finished());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        DoneCallbacks {
            state: Mutex::new(State {
                next_id: 0,
                queue: VecDeque::new(),
                stage: Stage::Pending,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Callbacks run outside the lock, so a poisoned lock only means a
        // panic in our own short critical sections: the state is consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a callback and returns its id.
    ///
    /// If the task has already finished, the callback runs at once, on this
    /// thread, before `add` returns (asyncio's rule). See the
    /// [rules](Self#rules) for order and panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use async_kit::task::{DoneCallbacks, Outcome};
    ///
    /// let callbacks = DoneCallbacks::<()>::new();
    /// callbacks.cancelled();
    /// let ran = Arc::new(AtomicBool::new(false));
    /// let flag = ran.clone();
    /// callbacks.add(move |outcome| {
    ///     assert!(matches!(outcome, Outcome::Cancelled));
    ///     flag.store(true, Ordering::SeqCst);
    /// });
    /// assert!(ran.load(Ordering::SeqCst), "ran at once");
    /// ```
    pub fn add<F>(&self, callback: F) -> CallbackId
    where
        F: FnOnce(Outcome<'_, T>) + Send + 'static,
    {
        let mut state = self.lock();
        let id = CallbackId(state.next_id);
        state.next_id += 1;
        state.queue.push_back((id, Box::new(callback)));
        if let Stage::Done(_) = state.stage {
            let Stage::Done(end) = std::mem::replace(&mut state.stage, Stage::Running) else {
                unreachable!("checked just above")
            };
            drop(state);
            self.run(end);
        }
        id
    }

    /// Removes a callback that has not run yet. Returns `false` if it has
    /// already run (or is running), or was already removed.
    ///
    /// # Examples
    ///
    /// ```
    /// let callbacks = async_kit::task::DoneCallbacks::<()>::new();
    /// let id = callbacks.add(|_| {});
    /// callbacks.cancelled();
    /// assert!(!callbacks.remove(id), "it has run");
    /// ```
    pub fn remove(&self, id: CallbackId) -> bool {
        let mut state = self.lock();
        match state.queue.iter().position(|(queued, _)| *queued == id) {
            Some(at) => {
                // Drop the callback outside the lock: its captures may do
                // anything when dropped.
                let removed = state.queue.remove(at);
                drop(state);
                drop(removed);
                true
            }
            None => false,
        }
    }

    /// Reports that the task returned `output`, and runs the callbacks.
    ///
    /// The output is kept for callbacks added later and for
    /// [`take_output`](Self::take_output). If the end was already reported,
    /// nothing happens and the output is handed back.
    ///
    /// # Examples
    ///
    /// ```
    /// let callbacks = async_kit::task::DoneCallbacks::new();
    /// assert_eq!(callbacks.complete(1), Ok(()));
    /// assert_eq!(callbacks.complete(2), Err(2));
    /// assert_eq!(callbacks.take_output(), Some(1));
    /// ```
    pub fn complete(&self, output: T) -> Result<(), T> {
        self.finish(End::Completed(Some(output)))
            .map_err(|end| match end {
                End::Completed(Some(output)) => output,
                _ => unreachable!("finish hands back what it was given"),
            })
    }

    /// Reports that the task panicked, and runs the callbacks. Returns
    /// `false` if the end was already reported.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::task::{DoneCallbacks, Outcome};
    ///
    /// let callbacks = DoneCallbacks::<()>::new();
    /// callbacks.add(|outcome| assert!(matches!(outcome, Outcome::Panicked)));
    /// assert!(callbacks.panicked());
    /// assert!(!callbacks.cancelled());
    /// ```
    pub fn panicked(&self) -> bool {
        self.finish(End::Panicked).is_ok()
    }

    /// Reports that the task was dropped before completing, and runs the
    /// callbacks. Returns `false` if the end was already reported.
    ///
    /// # Examples
    ///
    /// ```
    /// let callbacks = async_kit::task::DoneCallbacks::<()>::new();
    /// assert!(callbacks.cancelled());
    /// assert!(callbacks.is_finished());
    /// ```
    pub fn cancelled(&self) -> bool {
        self.finish(End::Cancelled).is_ok()
    }

    /// Reports that the task completed and its output was already taken:
    /// callbacks see `Completed(None)`. For owners that hold the output
    /// themselves until a callback is first added.
    pub(crate) fn completed_taken(&self) -> bool {
        self.finish(End::Completed(None)).is_ok()
    }

    fn finish(&self, end: End<T>) -> Result<(), End<T>> {
        let mut state = self.lock();
        if !matches!(state.stage, Stage::Pending) {
            return Err(end);
        }
        state.stage = Stage::Running;
        drop(state);
        self.run(end);
        Ok(())
    }

    /// Runs the queue to its end; the caller has set `Stage::Running`.
    fn run(&self, end: End<T>) {
        loop {
            let mut state = self.lock();
            let Some((_, callback)) = state.queue.pop_front() else {
                state.stage = Stage::Done(end);
                return;
            };
            drop(state);
            let outcome = end.outcome();
            // The panic hook has already reported the panic; the payload is
            // dropped here (a payload whose drop panics is not caught).
            let _ = catch_unwind(AssertUnwindSafe(move || callback(outcome)));
        }
    }

    /// Takes the completed output, if the task completed and nobody took it.
    ///
    /// Returns `None` while the callbacks are running (the thread running
    /// them holds the output), so owners call it once the end was reported
    /// by their own task, after `complete` has returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let callbacks = async_kit::task::DoneCallbacks::new();
    /// assert_eq!(callbacks.take_output(), None);
    /// callbacks.complete("out").unwrap();
    /// assert_eq!(callbacks.take_output(), Some("out"));
    /// assert_eq!(callbacks.take_output(), None);
    /// ```
    pub fn take_output(&self) -> Option<T> {
        match &mut self.lock().stage {
            Stage::Done(End::Completed(output)) => output.take(),
            _ => None,
        }
    }

    /// Returns `true` once the end of the task has been reported.
    ///
    /// # Examples
    ///
    /// ```
    /// let callbacks = async_kit::task::DoneCallbacks::<()>::new();
    /// assert!(!callbacks.is_finished());
    /// assert!(callbacks.panicked());
    /// assert!(callbacks.is_finished());
    /// ```
    #[must_use]
    pub fn is_finished(&self) -> bool {
        !matches!(self.lock().stage, Stage::Pending)
    }
}

impl<T> Default for DoneCallbacks<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for DoneCallbacks<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        let stage = match &state.stage {
            Stage::Pending => "pending",
            Stage::Running => "running callbacks",
            Stage::Done(End::Completed(_)) => "completed",
            Stage::Done(End::Panicked) => "panicked",
            Stage::Done(End::Cancelled) => "cancelled",
        };
        f.debug_struct("DoneCallbacks")
            .field("stage", &stage)
            .field("queued", &state.queue.len())
            .finish()
    }
}
