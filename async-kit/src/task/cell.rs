//! What a task and its handle share: the result, the abort flag, and one
//! waker for each side, in one allocation.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use super::error::TaskError;

/// Shared by a [`TaskHandle`](super::TaskHandle) and the job that runs its
/// task. Every change of `state` happens under its lock and wakers are woken
/// after it is released, so no wake-up can be lost between a check and a
/// registration. `aborted` only lets the job skip the lock on its hot path;
/// the job checks it again under the lock before it waits.
///
/// This replaces a `oneshot` channel plus an `AbortHandle`: one allocation
/// per task instead of two, and no waker registration when a task finishes
/// at its first poll.
pub(crate) struct Cell<T> {
    aborted: AtomicBool,
    state: Mutex<State<T>>,
}

struct State<T> {
    result: Option<Result<T, TaskError>>,
    finished: bool,
    handle: Option<Waker>,
    job: Option<Waker>,
}

impl<T> Cell<T> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Cell {
            aborted: AtomicBool::new(false),
            state: Mutex::new(State {
                result: None,
                finished: false,
                handle: None,
                job: None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No code that can panic runs under the lock.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands the result to the handle (first call only) and wakes it.
    pub(crate) fn finish(&self, result: Result<T, TaskError>) {
        let waker = {
            let mut state = self.lock();
            if state.finished {
                return;
            }
            state.finished = true;
            state.result = Some(result);
            state.handle.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Asks the job to stop, and wakes it if it waits.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
        let waker = self.lock().job.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.lock().finished
    }

    /// The handle's side: takes the result, or registers to be woken.
    pub(crate) fn poll_result(&self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        let mut state = self.lock();
        if let Some(result) = state.result.take() {
            return Poll::Ready(result);
        }
        assert!(
            !state.finished,
            "`TaskHandle` polled after it returned its result"
        );
        match &mut state.handle {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

pin_project! {
    /// Runs a task's future until it completes or its handle aborts it.
    pub(crate) struct Abortable<'a, F, T> {
        #[pin]
        future: F,
        cell: &'a Cell<T>,
    }
}

impl<'a, F, T> Abortable<'a, F, T> {
    pub(crate) fn new(future: F, cell: &'a Cell<T>) -> Self {
        Abortable { future, cell }
    }
}

/// The handle asked the task to stop.
pub(crate) struct Aborted;

impl<F: Future, T> Future for Abortable<'_, F, T> {
    type Output = Result<F::Output, Aborted>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.cell.is_aborted() {
            return Poll::Ready(Err(Aborted));
        }
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // Waiting: register under the lock, where `abort` looks, after
        // checking the flag again there.
        let mut state = this.cell.lock();
        if this.cell.is_aborted() {
            return Poll::Ready(Err(Aborted));
        }
        match &mut state.job {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
