//! The core shared by the three queues: a store behind a lock, two
//! [`Event`]s for waiting getters and putters with exact counts of their
//! idle listeners, and the unfinished-task counters with their own event for
//! `join`. `tests/queue_loom.rs` model-checks it.
//!
//! Only the order in which items leave differs between the queues; that is
//! the [`Store`]. Everything else (capacity, reservations, shutdown, waiting,
//! `task_done` / `join`) lives here once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use event_listener::{Event, EventListener};

use super::error::{PutError, ShutDown, TaskDoneError, TryGetError, TryPutError};
use super::sync::{AtomicUsize, Guard, Lock, Ordering};
use crate::padded::Padded;

/// Where the items wait: decides the order in which they leave.
#[allow(unreachable_pub)]
pub trait Store<T> {
    fn push(&mut self, item: T);
    fn pop(&mut self) -> Option<T>;
    fn len(&self) -> usize;
}

/// Gives the permit, the guard and the stream access to the core of a queue
/// handle without naming its store. Sealed: only the three queues implement it.
#[allow(unreachable_pub)]
pub trait Handle: Clone {
    /// The type of the items.
    type Item;
    #[doc(hidden)]
    type Store: Store<Self::Item>;
    #[doc(hidden)]
    fn shared(&self) -> &Shared<Self::Item, Self::Store>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Open,
    /// `shutdown()`: puts fail, gets drain what is left.
    Draining,
    /// `shutdown_immediate()`: puts and gets fail.
    Closed,
}

/// The two kinds of waiters, each with its own event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Get,
    Put,
}

struct State<S> {
    store: S,
    /// Slots held by [`Permit`](super::Permit)s: they count against the
    /// capacity but are not items yet.
    reserved: usize,
    mode: Mode,
    /// Listeners registered on `getters` / `putters` that are not notified
    /// yet. Every change to a listener's registration or notification
    /// happens with this lock held (registration, `notify`, and dropping
    /// a listener that did not complete: see [`Shared::forget`]), so these
    /// counts are exact, and a put or get that finds them at zero skips the
    /// event altogether: the fast path touches one lock only.
    idle_getters: usize,
    idle_putters: usize,
}

impl<S> State<S> {
    fn idle(&mut self, side: Side) -> &mut usize {
        match side {
            Side::Get => &mut self.idle_getters,
            Side::Put => &mut self.idle_putters,
        }
    }
}

#[allow(unreachable_pub)]
pub struct Shared<T, S> {
    state: Padded<Lock<State<S>>>,
    /// `usize::MAX` when unbounded.
    capacity: usize,
    bounded: bool,
    /// Notified once per item put: wakes a waiting getter.
    getters: Event,
    /// Notified once per slot freed: wakes a waiting putter.
    putters: Event,
    tasks: Tasks,
    _item: std::marker::PhantomData<fn(T) -> T>,
}

/// Cancels a wait when dropped before its listener completed.
struct Waiter<'a, T, S: Store<T>> {
    shared: &'a Shared<T, S>,
    side: Side,
    listener: Option<EventListener>,
}

impl<T, S: Store<T>> Drop for Waiter<'_, T, S> {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.take() {
            self.shared.forget(self.side, listener);
        }
    }
}

/// The unfinished-task count of `task_done` / `join`, kept as two
/// monotonic counters so that a put adds no read-modify-write of its own:
/// `put` is only written with the queue's lock held (a load and a store),
/// and only `task_done` contends on `done`. Unfinished = `put - done`.
pub(crate) struct Tasks {
    /// Items ever put. Written under the queue's lock with `Release`; a
    /// consumer got its item through that lock, so its `task_done` sees a
    /// count that includes the item.
    put: Padded<AtomicUsize>,
    /// Items marked done (or handed back by `shutdown_immediate`); never
    /// more than `put`.
    done: Padded<AtomicUsize>,
    /// Notified (all listeners) whenever `done` catches up with `put`.
    finished: Event,
}

impl Tasks {
    fn new() -> Self {
        Tasks {
            put: Padded(AtomicUsize::new(0)),
            done: Padded(AtomicUsize::new(0)),
            finished: Event::new(),
        }
    }

    pub(crate) fn unfinished(&self) -> usize {
        // `done` first: `put` only grows, so the later load is not smaller.
        let done = self.done.load(Ordering::SeqCst);
        self.put.load(Ordering::SeqCst).saturating_sub(done)
    }

    /// Counts `n` items put. Callers hold the queue's lock, which makes the
    /// load and store one step.
    fn add_locked(&self, n: usize) {
        let put = self.put.load(Ordering::Relaxed);
        self.put.store(put + n, Ordering::Release);
    }

    /// Marks up to `n` tasks done; with `exact`, fails without changing the
    /// count when fewer than `n` are unfinished.
    #[inline]
    fn mark(&self, n: usize, exact: bool) -> Result<(), TaskDoneError> {
        let mut done = self.done.load(Ordering::SeqCst);
        loop {
            let unfinished = self.put.load(Ordering::SeqCst).saturating_sub(done);
            if exact && unfinished < n {
                return Err(TaskDoneError(()));
            }
            let next = done + n.min(unfinished);
            match self
                .done
                .compare_exchange_weak(done, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => {
                    // This call finished the last task known to it: wake
                    // `join`. `finished` fences with `SeqCst` before it looks
                    // for listeners, and `join` listens before it checks
                    // again, so a `join` cannot miss this.
                    if unfinished != 0 && unfinished <= n {
                        self.finished.notify(usize::MAX);
                    }
                    return Ok(());
                }
                Err(actual) => done = actual,
            }
        }
    }

    #[inline]
    pub(crate) fn done(&self) -> Result<(), TaskDoneError> {
        self.mark(1, true)
    }

    async fn join(&self) {
        loop {
            if self.unfinished() == 0 {
                return;
            }
            let listener = self.finished.listen();
            if self.unfinished() == 0 {
                return;
            }
            listener.await;
        }
    }
}

impl<T, S> std::fmt::Debug for Shared<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl<T, S: Store<T>> Shared<T, S> {
    pub(crate) fn new(store: S, capacity: Option<usize>) -> Self {
        Shared {
            state: Padded(Lock::new(State {
                store,
                reserved: 0,
                mode: Mode::Open,
                idle_getters: 0,
                idle_putters: 0,
            })),
            capacity: capacity.unwrap_or(usize::MAX),
            bounded: capacity.is_some(),
            getters: Event::new(),
            putters: Event::new(),
            tasks: Tasks::new(),
            _item: std::marker::PhantomData,
        }
    }

    fn lock(&self) -> Guard<'_, State<S>> {
        self.state.lock()
    }

    fn event(&self, side: Side) -> &Event {
        match side {
            Side::Get => &self.getters,
            Side::Put => &self.putters,
        }
    }

    /// Wakes up to `n` idle waiters of `side`, one per item or slot. Called
    /// with the lock held (`state`), which keeps the idle counts exact.
    fn wake(&self, state: &mut State<S>, side: Side, n: usize) {
        let idle = state.idle(side);
        let k = n.min(*idle);
        if k > 0 {
            *idle -= k;
            self.event(side).notify_additional(k);
        }
    }

    /// Registers a listener on `side`, lock held.
    fn listen(&self, state: &mut State<S>, side: Side) -> EventListener {
        *state.idle(side) += 1;
        self.event(side).listen()
    }

    /// Drops the listener of a cancelled wait. Had it been notified, the
    /// wake-up goes to the next idle waiter of the same side, so no item or
    /// slot is left without a taker.
    pub(crate) fn forget(&self, side: Side, mut listener: EventListener) {
        let mut state = self.lock();
        // Polling with a no-op waker tells whether it was notified; with the
        // lock held no notification can arrive before it is dropped.
        let mut cx = Context::from_waker(Waker::noop());
        if Pin::new(&mut listener).poll(&mut cx).is_ready() {
            self.wake(&mut state, side, 1);
        } else {
            *state.idle(side) -= 1;
        }
        drop(listener);
    }

    /// Runs `attempt` under the lock until it returns a result, waiting on
    /// `side`'s event in between.
    async fn wait_until<R>(
        &self,
        side: Side,
        mut attempt: impl FnMut(&mut State<S>) -> Option<R>,
    ) -> R {
        let mut waiter = Waiter {
            shared: self,
            side,
            listener: None,
        };
        loop {
            {
                let mut state = self.lock();
                if let Some(result) = attempt(&mut state) {
                    return result;
                }
                waiter.listener = Some(self.listen(&mut state, side));
            }
            if let Some(listener) = waiter.listener.as_mut() {
                listener.await;
            }
            // Completed: notified, and the notification consumed.
            waiter.listener = None;
        }
    }

    pub(crate) fn tasks(&self) -> &Tasks {
        &self.tasks
    }

    pub(crate) fn capacity(&self) -> Option<usize> {
        self.bounded.then_some(self.capacity)
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().store.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        let state = self.lock();
        state.store.len() + state.reserved >= self.capacity
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.lock().mode != Mode::Open
    }

    fn room(&self, state: &State<S>) -> usize {
        self.capacity - (state.store.len() + state.reserved)
    }

    /// Puts `item` if there is room, lock held.
    fn put_locked(&self, state: &mut State<S>, item: T) -> Result<(), TryPutError<T>> {
        if state.mode != Mode::Open {
            return Err(TryPutError::ShutDown(item));
        }
        if self.room(state) == 0 {
            return Err(TryPutError::Full(item));
        }
        // Counted before the item is visible, so its `task_done` can never
        // come first.
        self.tasks.add_locked(1);
        state.store.push(item);
        self.wake(state, Side::Get, 1);
        Ok(())
    }

    pub(crate) fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        self.put_locked(&mut self.lock(), item)
    }

    pub(crate) async fn put(&self, item: T) -> Result<(), PutError<T>> {
        let mut item = Some(item);
        self.wait_until(Side::Put, |state| {
            let next = item.take().expect("the item is put once");
            match self.put_locked(state, next) {
                Ok(()) => Some(Ok(())),
                Err(TryPutError::ShutDown(back)) => Some(Err(PutError(back))),
                Err(TryPutError::Full(back)) => {
                    item = Some(back);
                    None
                }
            }
        })
        .await
    }

    pub(crate) async fn put_many<I>(&self, items: I) -> Result<(), PutError<Vec<T>>>
    where
        I: IntoIterator<Item = T>,
    {
        let mut items = items.into_iter().peekable();
        self.wait_until(Side::Put, |state| {
            if state.mode != Mode::Open {
                return Some(Err(PutError(items.by_ref().collect())));
            }
            let mut n = 0;
            while self.room(state) > 0 {
                let Some(item) = items.next() else { break };
                self.tasks.add_locked(1);
                state.store.push(item);
                n += 1;
            }
            self.wake(state, Side::Get, n);
            if items.peek().is_none() {
                Some(Ok(()))
            } else {
                None
            }
        })
        .await
    }

    fn reserve_locked(&self, state: &mut State<S>) -> Result<(), TryPutError<()>> {
        if state.mode != Mode::Open {
            return Err(TryPutError::ShutDown(()));
        }
        if self.room(state) == 0 {
            return Err(TryPutError::Full(()));
        }
        state.reserved += 1;
        Ok(())
    }

    pub(crate) fn try_reserve(&self) -> Result<(), TryPutError<()>> {
        self.reserve_locked(&mut self.lock())
    }

    pub(crate) async fn reserve(&self) -> Result<(), ShutDown> {
        self.wait_until(Side::Put, |state| match self.reserve_locked(state) {
            Ok(()) => Some(Ok(())),
            Err(TryPutError::ShutDown(())) => Some(Err(ShutDown(()))),
            Err(TryPutError::Full(())) => None,
        })
        .await
    }

    /// Puts an item into a slot reserved by a permit.
    pub(crate) fn put_reserved(&self, item: T) -> Result<(), PutError<T>> {
        let mut state = self.lock();
        state.reserved -= 1;
        if state.mode != Mode::Open {
            self.wake(&mut state, Side::Put, 1);
            return Err(PutError(item));
        }
        self.tasks.add_locked(1);
        state.store.push(item);
        self.wake(&mut state, Side::Get, 1);
        Ok(())
    }

    /// Gives back a slot reserved by a permit that was dropped unused.
    pub(crate) fn release_reserved(&self) {
        let mut state = self.lock();
        state.reserved -= 1;
        self.wake(&mut state, Side::Put, 1);
    }

    /// Takes up to `max` (at least one) items into `out`, lock held.
    fn get_locked(
        &self,
        state: &mut State<S>,
        max: usize,
        mut out: impl FnMut(T),
    ) -> Result<(), TryGetError> {
        if state.mode == Mode::Closed {
            return Err(TryGetError::ShutDown);
        }
        let mut n = 0;
        while n < max {
            let Some(item) = state.store.pop() else { break };
            out(item);
            n += 1;
        }
        if n == 0 {
            return Err(if state.mode == Mode::Draining {
                TryGetError::ShutDown
            } else {
                TryGetError::Empty
            });
        }
        if self.bounded {
            self.wake(state, Side::Put, n);
        }
        Ok(())
    }

    fn get_one(&self, state: &mut State<S>) -> Result<T, TryGetError> {
        let mut got = None;
        self.get_locked(state, 1, |item| got = Some(item))?;
        Ok(got.expect("get_locked took one item"))
    }

    pub(crate) fn try_get(&self) -> Result<T, TryGetError> {
        self.get_one(&mut self.lock())
    }

    /// Polls a get for the stream, whose `listener` must be given to
    /// [`Shared::forget`] if the stream is dropped while it is set.
    pub(crate) fn poll_get(
        &self,
        listener: &mut Option<EventListener>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, ShutDown>> {
        loop {
            if let Some(armed) = listener.as_mut() {
                if Pin::new(armed).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                *listener = None;
            }
            let mut state = self.lock();
            match self.get_one(&mut state) {
                Ok(item) => return Poll::Ready(Ok(item)),
                Err(TryGetError::ShutDown) => return Poll::Ready(Err(ShutDown(()))),
                Err(TryGetError::Empty) => *listener = Some(self.listen(&mut state, Side::Get)),
            }
        }
    }

    pub(crate) async fn get(&self) -> Result<T, ShutDown> {
        self.wait_until(Side::Get, |state| match self.get_one(state) {
            Ok(item) => Some(Ok(item)),
            Err(TryGetError::ShutDown) => Some(Err(ShutDown(()))),
            Err(TryGetError::Empty) => None,
        })
        .await
    }

    pub(crate) async fn get_many(&self, max: usize) -> Result<Vec<T>, ShutDown> {
        if max == 0 {
            return Ok(Vec::new());
        }
        self.wait_until(Side::Get, |state| {
            let mut out = Vec::new();
            match self.get_locked(state, max, |item| out.push(item)) {
                Ok(()) => Some(Ok(out)),
                Err(TryGetError::ShutDown) => Some(Err(ShutDown(()))),
                Err(TryGetError::Empty) => None,
            }
        })
        .await
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        self.tasks.done()
    }

    pub(crate) async fn join(&self) {
        self.tasks.join().await;
    }

    pub(crate) fn shutdown(&self) -> bool {
        let mut state = self.lock();
        if state.mode != Mode::Open {
            return false;
        }
        state.mode = Mode::Draining;
        self.wake_all(&mut state);
        true
    }

    pub(crate) fn shutdown_immediate(&self) -> Vec<T> {
        let items = {
            let mut state = self.lock();
            state.mode = Mode::Closed;
            let mut items = Vec::with_capacity(state.store.len());
            while let Some(item) = state.store.pop() {
                items.push(item);
            }
            self.wake_all(&mut state);
            items
        };
        // As Python does: the items handed back will never be marked done.
        let _ = self.tasks.mark(items.len(), false);
        items
    }

    fn wake_all(&self, state: &mut State<S>) {
        state.idle_getters = 0;
        state.idle_putters = 0;
        self.getters.notify(usize::MAX);
        self.putters.notify(usize::MAX);
    }
}
