//! A pool task in one allocation: the future and the [`Cell`] its handle
//! reads, side by side, so a submission costs one `Arc` and no `Box`.

// The crate's only unsafe code: see the SAFETY notes below.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::cell::Cell;
use super::error::TaskError;
use crate::time::Timeout;

/// How a job ended, for the pool's figures.
#[derive(Clone, Copy)]
pub(super) enum Outcome {
    Completed,
    Panicked,
    Aborted,
    /// Stopped at the deadline it inherited from its spawner.
    Elapsed,
}

/// What a pool task runs: a future whose ending may itself be a
/// [`TaskError`] (a deadline inherited from the spawner), so that a task
/// with no deadline and one with a deadline share every other line.
pub(super) trait Work: Send {
    type Output: Send;

    fn poll_work(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Self::Output, TaskError>>;
}

pin_project! {
    /// A task spawned with no deadline in force: the user's future as it is.
    pub(super) struct Plain<F> {
        #[pin]
        future: F,
    }
}

impl<F> Plain<F> {
    pub(super) fn new(future: F) -> Self {
        Plain { future }
    }
}

impl<F> Work for Plain<F>
where
    F: Future + Send,
    F::Output: Send,
{
    type Output = F::Output;

    #[inline]
    fn poll_work(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<F::Output, TaskError>> {
        self.project().future.poll(cx).map(Ok)
    }
}

/// A task spawned under a deadline: the crate's [`Timeout`], made with
/// [`Timeout::inherited`], which makes the deadline visible inside and
/// reports it as inherited.
impl<F> Work for Timeout<F>
where
    F: Future + Send,
    F::Output: Send,
{
    type Output = F::Output;

    fn poll_work(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<F::Output, TaskError>> {
        self.poll(cx).map(|ended| ended.map_err(TaskError::Elapsed))
    }
}

/// The allocation shared by a [`Job`] and a
/// [`TaskHandle`](crate::task::TaskHandle).
struct Task<F: Work> {
    cell: Cell<F::Output>,
    // Touched only through the one `Job` that owns the task's run (and by
    // the task's own drop glue, when no one else can); `None` once the
    // future has been dropped. The future never moves: it lives in the
    // `Arc` until dropped in place. (An `Option` rather than a flag beside
    // a `MaybeUninit`: for most futures it costs no byte.)
    future: UnsafeCell<Option<F>>,
}

/// Sets a future's slot to `None` without dropping what is in it: after the
/// future was dropped in place, even when its `Drop` panicked, so that it is
/// never dropped twice.
struct Clear<F>(*mut Option<F>);

impl<F> Drop for Clear<F> {
    fn drop(&mut self) {
        // SAFETY: the pointer is the task's slot, reached only by the job
        // that made this guard; the future in it was dropped already.
        unsafe { std::ptr::write(self.0, None) };
    }
}

// SAFETY: `future` is only reached through the task's one `Job`, which
// takes `&mut self` to run it, so sharing a `Task` between threads never
// shares the future; `F: Send` lets it move to whichever thread runs the
// job. What the cell needs is left to the compiler: the bounds ask for the
// cell's own `Sync` (and `Send` below).
unsafe impl<F: Work> Sync for Task<F> where Cell<F::Output>: Sync {}
// SAFETY: as above; the future may move to another thread with the task.
unsafe impl<F: Work> Send for Task<F> where Cell<F::Output>: Send {}

/// The handle's view of a task: its cell, whatever the future's type.
pub(super) trait HasCell<T>: Send + Sync {
    fn cell(&self) -> &Cell<T>;
}

impl<F: Work> HasCell<F::Output> for Task<F> {
    fn cell(&self) -> &Cell<F::Output> {
        &self.cell
    }
}

/// The worker's view of a task, with the future's type erased.
trait Run: Send + Sync {
    /// Polls the future once, ending the task when it is done.
    ///
    /// # Safety
    ///
    /// Only the task's unique [`Job`] may call it, and not after it
    /// returned `Ready` or after `cancel`.
    unsafe fn poll_run(&self, cx: &mut Context<'_>) -> Poll<Outcome>;

    /// Drops the future and tells the handle the pool stopped the task.
    ///
    /// # Safety
    ///
    /// As for `poll_run`.
    unsafe fn cancel(&self);
}

impl<F: Work> Task<F> {
    /// # Safety
    ///
    /// Only the unique `Job` may call it.
    unsafe fn drop_future(&self) {
        let slot = self.future.get();
        // SAFETY: the caller is the only one reaching `future`.
        if let Some(future) = unsafe { (*slot).as_mut() } {
            let future: *mut F = future;
            let _clear = Clear(slot);
            // SAFETY: the future is dropped in place, where it was pinned;
            // `_clear` then marks the slot empty without a second drop.
            unsafe { std::ptr::drop_in_place(future) };
        }
    }
}

impl<F: Work> Run for Task<F> {
    unsafe fn poll_run(&self, cx: &mut Context<'_>) -> Poll<Outcome> {
        let (mut outcome, mut result) = if self.cell.is_aborted() {
            (Outcome::Aborted, Err(TaskError::Aborted))
        } else {
            let polled = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: the caller is the only one reaching `future`.
                let slot = unsafe { &mut *self.future.get() };
                let future = slot.as_mut().expect("a job polled after it ended");
                // SAFETY: the future never moves out of the `Arc` (it is
                // dropped in place), so pinning it is sound.
                unsafe { Pin::new_unchecked(future) }.poll_work(cx)
            }));
            match polled {
                Ok(Poll::Ready(Ok(output))) => (Outcome::Completed, Ok(output)),
                Ok(Poll::Ready(Err(err))) => (Outcome::Elapsed, Err(err)),
                Ok(Poll::Pending) => {
                    if !self.cell.register_job(cx.waker()) {
                        return Poll::Pending;
                    }
                    (Outcome::Aborted, Err(TaskError::Aborted))
                }
                Err(payload) => (Outcome::Panicked, Err(TaskError::Panicked(payload))),
            }
        };
        // The future goes before the handle hears of the end. A `Drop` that
        // panics is that task's panic, not the worker's.
        // SAFETY: as above.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| unsafe { self.drop_future() })) {
            (outcome, result) = (Outcome::Panicked, Err(TaskError::Panicked(payload)));
        }
        self.cell.finish(result);
        Poll::Ready(outcome)
    }

    unsafe fn cancel(&self) {
        // SAFETY: the caller is the only one reaching `future`. A panic of
        // its `Drop` has no one to go to but the handle, which hears that
        // the pool stopped the task.
        let _ = catch_unwind(AssertUnwindSafe(|| unsafe { self.drop_future() }));
        self.cell.finish(Err(TaskError::Shutdown));
    }
}

/// The pool's share of a task: runs it once, and if it is dropped before
/// the task ends (queued at shutdown, or its worker aborted), drops the
/// future and tells the handle.
pub(super) struct Job {
    task: Option<Arc<dyn Run>>,
}

impl Job {
    /// Makes a task; returns the pool's job and the handle's view.
    pub(super) fn new<F>(future: F) -> (Job, Arc<dyn HasCell<F::Output>>)
    where
        F: Work + 'static,
        F::Output: 'static,
    {
        let task = Arc::new(Task {
            cell: Cell::new(),
            future: UnsafeCell::new(Some(future)),
        });
        let handle: Arc<dyn HasCell<F::Output>> = task.clone();
        (Job { task: Some(task) }, handle)
    }
}

impl Future for Job {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let task = self.task.as_ref().expect("a job polled after it ended");
        // SAFETY: this `Job` is the task's only runner, and it forgets the
        // task below once the task has ended.
        let ended = unsafe { task.poll_run(cx) };
        if ended.is_ready() {
            self.task = None;
        }
        ended
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // SAFETY: the task has not ended and this is its only runner.
            unsafe { task.cancel() };
        }
    }
}
