//! What a task and its handle share: the result, the abort flag, one waker
//! for each side, and the done callbacks if any were added, in one
//! allocation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use spin::mutex::{SpinMutex, SpinMutexGuard};
use spin::relax::Yield;

use super::error::TaskError;
use crate::task::callbacks::{CallbackId, DoneCallbacks, Outcome};

/// Shared by a [`TaskHandle`](crate::task::TaskHandle) and the job that runs its
/// task. Every change of `state` happens under its lock and wakers are woken
/// after it is released, so no wake-up can be lost between a check and a
/// registration. `aborted` only lets the job skip the lock on its hot path;
/// the job checks it again under the lock before it waits.
///
/// This replaces a `oneshot` channel plus an `AbortHandle`: one allocation
/// per task instead of two, and no waker registration when a task finishes
/// at its first poll.
///
/// Done callbacks live in a [`DoneCallbacks`] made by the first
/// [`add_callback`](Self::add_callback): a task without callbacks pays one
/// `Option` check when it ends. Once they exist, a completed output lives
/// in them (so that late callbacks see it) until the handle takes it, and
/// the handle waits while any thread is inside them (`busy`), so it never
/// returns before the callbacks added before the end have run.
pub(crate) struct Cell<T> {
    aborted: AtomicBool,
    // Held for a few field moves only, never across user code, so a spin
    // lock (unlock is a plain store) beats a parking mutex here.
    state: SpinMutex<State<T>, Yield>,
}

struct State<T> {
    /// The result, unless it is a completed output held by `callbacks`.
    result: Option<Result<T, TaskError>>,
    /// How the task ended; set by the first `finish` only.
    end: Option<End>,
    /// The end has been reported to the callbacks, if any: the result is
    /// ready for the handle.
    ready: bool,
    /// The handle has returned the result.
    taken: bool,
    /// Threads running code of `callbacks` (reporting the end, or adding a
    /// callback); the handle waits for none.
    busy: u32,
    callbacks: Option<Arc<DoneCallbacks<T>>>,
    handle: Option<Waker>,
    job: Option<Waker>,
}

#[derive(Clone, Copy)]
enum End {
    Completed,
    Panicked,
    Cancelled,
}

impl End {
    fn of<T>(result: &Result<T, TaskError>) -> Self {
        match result {
            Ok(_) => End::Completed,
            Err(TaskError::Panicked(_)) => End::Panicked,
            Err(TaskError::Aborted | TaskError::Shutdown | TaskError::Elapsed(_)) => End::Cancelled,
        }
    }
}

impl<T> Cell<T> {
    pub(crate) fn new() -> Self {
        Cell {
            aborted: AtomicBool::new(false),
            state: SpinMutex::new(State {
                result: None,
                end: None,
                ready: false,
                taken: false,
                busy: 0,
                callbacks: None,
                handle: None,
                job: None,
            }),
        }
    }

    fn lock(&self) -> SpinMutexGuard<'_, State<T>> {
        self.state.lock()
    }

    /// Reports the result (first call only): runs the callbacks, if any,
    /// then hands the result to the handle and wakes it.
    pub(crate) fn finish(&self, result: Result<T, TaskError>) {
        let mut state = self.lock();
        if state.end.is_some() {
            return;
        }
        let end = End::of(&result);
        state.end = Some(end);
        let Some(callbacks) = state.callbacks.clone() else {
            // No callbacks: the hot path.
            state.result = Some(result);
            state.ready = true;
            let waker = state.handle.take();
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
            return;
        };
        state.busy += 1;
        drop(state);
        // We are the only reporter, so none of these can fail.
        match result {
            Ok(output) => {
                let _ = callbacks.complete(output);
            }
            Err(err) => {
                self.lock().result = Some(Err(err));
                match end {
                    End::Panicked => callbacks.panicked(),
                    _ => callbacks.cancelled(),
                };
            }
        }
        let mut state = self.lock();
        state.ready = true;
        self.leave(state);
    }

    /// Ends a stay in the callbacks; wakes the handle if it was the last one
    /// after the end.
    fn leave(&self, mut state: SpinMutexGuard<'_, State<T>>) {
        state.busy -= 1;
        let waker = if state.busy == 0 && state.ready {
            state.handle.take()
        } else {
            None
        };
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Adds a done callback, making the callbacks on first use. If the task
    /// has ended, the callback runs at once, on this thread.
    pub(crate) fn add_callback<F>(&self, callback: F) -> CallbackId
    where
        F: FnOnce(Outcome<'_, T>) + Send + 'static,
    {
        let mut state = self.lock();
        let callbacks = match &state.callbacks {
            Some(callbacks) => callbacks.clone(),
            None => {
                let callbacks = Arc::new(DoneCallbacks::new());
                // Ended without callbacks: hand them the end. No callback is
                // queued yet, so nothing runs under our lock.
                match state.end {
                    None => {}
                    Some(End::Completed) => match state.result.take() {
                        Some(Ok(output)) => {
                            let _ = callbacks.complete(output);
                        }
                        _ => {
                            callbacks.completed_taken();
                        }
                    },
                    Some(End::Panicked) => {
                        callbacks.panicked();
                    }
                    Some(End::Cancelled) => {
                        callbacks.cancelled();
                    }
                }
                state.callbacks = Some(callbacks.clone());
                callbacks
            }
        };
        state.busy += 1;
        drop(state);
        // Runs the callback now if the end was reported; a panic in it is
        // caught in there, so `leave` always runs.
        let id = callbacks.add(callback);
        self.leave(self.lock());
        id
    }

    /// Removes a callback that has not run yet.
    pub(crate) fn remove_callback(&self, id: CallbackId) -> bool {
        let callbacks = self.lock().callbacks.clone();
        callbacks.is_some_and(|callbacks| callbacks.remove(id))
    }

    /// Asks the job to stop, and wakes it if it waits.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
        let waker = self.lock().job.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The job's side, when its future waits: registers its waker where
    /// `abort` looks. Returns `true` if the task was aborted meanwhile.
    pub(crate) fn register_job(&self, waker: &Waker) -> bool {
        let mut state = self.lock();
        if self.is_aborted() {
            return true;
        }
        match &mut state.job {
            Some(old) if old.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        false
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.lock().ready
    }

    /// The handle's side: takes the result, or registers to be woken.
    pub(crate) fn poll_result(&self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        let mut state = self.lock();
        assert!(
            !state.taken,
            "`TaskHandle` polled after it returned its result"
        );
        if state.ready && state.busy == 0 {
            let result = match state.result.take() {
                Some(result) => result,
                // A completed output, held by the callbacks, which no thread
                // is running (`busy == 0`): there to take.
                None => Ok(state
                    .callbacks
                    .as_ref()
                    .and_then(|callbacks| callbacks.take_output())
                    .expect("a finished task left its output")),
            };
            state.taken = true;
            return Poll::Ready(result);
        }
        match &mut state.handle {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
