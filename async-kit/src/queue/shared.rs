//! The core shared by the three queues: a store behind a mutex, two
//! [`Event`]s for waiting getters and putters, and the unfinished-task
//! counter with its own event for `join`.
//!
//! Only the order in which items leave differs between the queues; that is
//! the [`Store`]. Everything else (capacity, reservations, shutdown, waiting,
//! `task_done` / `join`) lives here once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use event_listener::{Event, EventListener};

use super::error::{PutError, ShutDown, TaskDoneError, TryGetError, TryPutError};

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

struct State<S> {
    store: S,
    /// Slots held by [`Permit`](super::Permit)s: they count against the
    /// capacity but are not items yet.
    reserved: usize,
    mode: Mode,
}

#[allow(unreachable_pub)]
pub struct Shared<T, S> {
    state: Mutex<State<S>>,
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

/// The unfinished-task count of `task_done` / `join`.
pub(crate) struct Tasks {
    /// Items put and not yet marked done. All accesses are `SeqCst`: the
    /// count pairs with `finished` (whose `listen` / `notify` are `SeqCst`
    /// too), so a `join` that sees a non-zero count and then listens cannot
    /// miss the `task_done` that brings it to zero.
    unfinished: AtomicUsize,
    /// Notified (all listeners) whenever `unfinished` reaches zero.
    finished: Event,
}

impl Tasks {
    fn new() -> Self {
        Tasks {
            unfinished: AtomicUsize::new(0),
            finished: Event::new(),
        }
    }

    pub(crate) fn unfinished(&self) -> usize {
        self.unfinished.load(Ordering::SeqCst)
    }

    fn add(&self, n: usize) {
        self.unfinished.fetch_add(n, Ordering::SeqCst);
    }

    /// Marks up to `n` tasks done; with `exact`, fails without changing the
    /// count when fewer than `n` are unfinished.
    fn sub(&self, n: usize, exact: bool) -> Result<(), TaskDoneError> {
        let mut current = self.unfinished.load(Ordering::SeqCst);
        loop {
            if exact && current < n {
                return Err(TaskDoneError(()));
            }
            let next = current.saturating_sub(n);
            match self.unfinished.compare_exchange_weak(
                current,
                next,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        if current != 0 && current <= n {
            self.finished.notify(usize::MAX);
        }
        Ok(())
    }

    pub(crate) fn done(&self) -> Result<(), TaskDoneError> {
        self.sub(1, true)
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
            state: Mutex::new(State {
                store,
                reserved: 0,
                mode: Mode::Open,
            }),
            capacity: capacity.unwrap_or(usize::MAX),
            bounded: capacity.is_some(),
            getters: Event::new(),
            putters: Event::new(),
            tasks: Tasks::new(),
            _item: std::marker::PhantomData,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<S>> {
        // A panic while the lock is held can only come from a user's `Ord`
        // (priority queue); the store stays memory safe, so carry on.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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

    fn wake_getters(&self, n: usize) {
        self.getters.notify_additional(n);
    }

    fn wake_putters(&self, n: usize) {
        if self.bounded {
            self.putters.notify_additional(n);
        }
    }

    pub(crate) fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        {
            let mut state = self.lock();
            if state.mode != Mode::Open {
                return Err(TryPutError::ShutDown(item));
            }
            if state.store.len() + state.reserved >= self.capacity {
                return Err(TryPutError::Full(item));
            }
            // Counted before the item is visible, so its `task_done` can
            // never come first.
            self.tasks.add(1);
            state.store.push(item);
        }
        self.wake_getters(1);
        Ok(())
    }

    pub(crate) async fn put(&self, mut item: T) -> Result<(), PutError<T>> {
        let mut listener: Option<EventListener> = None;
        loop {
            match self.try_put(item) {
                Ok(()) => return Ok(()),
                Err(TryPutError::ShutDown(back)) => return Err(PutError(back)),
                Err(TryPutError::Full(back)) => item = back,
            }
            match listener.take() {
                None => listener = Some(self.putters.listen()),
                Some(l) => l.await,
            }
        }
    }

    /// Puts as many items as fit, returns how many.
    fn try_put_some(
        &self,
        items: &mut std::iter::Peekable<impl Iterator<Item = T>>,
    ) -> Result<usize, ()> {
        let mut n = 0;
        {
            let mut state = self.lock();
            if state.mode != Mode::Open {
                return Err(());
            }
            while state.store.len() + state.reserved < self.capacity {
                let Some(item) = items.next() else { break };
                self.tasks.add(1);
                state.store.push(item);
                n += 1;
            }
        }
        if n > 0 {
            self.wake_getters(n);
        }
        Ok(n)
    }

    pub(crate) async fn put_many<I>(&self, items: I) -> Result<(), PutError<Vec<T>>>
    where
        I: IntoIterator<Item = T>,
    {
        let mut items = items.into_iter().peekable();
        let mut listener: Option<EventListener> = None;
        loop {
            match self.try_put_some(&mut items) {
                Err(()) => return Err(PutError(items.collect())),
                Ok(n) => {
                    if items.peek().is_none() {
                        return Ok(());
                    }
                    if n > 0 {
                        // Progress: our old place in line is used up.
                        listener = None;
                    }
                }
            }
            match listener.take() {
                None => listener = Some(self.putters.listen()),
                Some(l) => l.await,
            }
        }
    }

    pub(crate) fn try_reserve(&self) -> Result<(), TryPutError<()>> {
        let mut state = self.lock();
        if state.mode != Mode::Open {
            return Err(TryPutError::ShutDown(()));
        }
        if state.store.len() + state.reserved >= self.capacity {
            return Err(TryPutError::Full(()));
        }
        state.reserved += 1;
        Ok(())
    }

    pub(crate) async fn reserve(&self) -> Result<(), ShutDown> {
        let mut listener: Option<EventListener> = None;
        loop {
            match self.try_reserve() {
                Ok(()) => return Ok(()),
                Err(TryPutError::ShutDown(())) => return Err(ShutDown(())),
                Err(TryPutError::Full(())) => {}
            }
            match listener.take() {
                None => listener = Some(self.putters.listen()),
                Some(l) => l.await,
            }
        }
    }

    /// Puts an item into a slot reserved by a permit.
    pub(crate) fn put_reserved(&self, item: T) -> Result<(), PutError<T>> {
        {
            let mut state = self.lock();
            state.reserved -= 1;
            if state.mode != Mode::Open {
                drop(state);
                self.wake_putters(1);
                return Err(PutError(item));
            }
            self.tasks.add(1);
            state.store.push(item);
        }
        self.wake_getters(1);
        Ok(())
    }

    /// Gives back a slot reserved by a permit that was dropped unused.
    pub(crate) fn release_reserved(&self) {
        self.lock().reserved -= 1;
        self.wake_putters(1);
    }

    pub(crate) fn try_get(&self) -> Result<T, TryGetError> {
        let item = {
            let mut state = self.lock();
            if state.mode == Mode::Closed {
                return Err(TryGetError::ShutDown);
            }
            match state.store.pop() {
                Some(item) => item,
                None if state.mode == Mode::Draining => return Err(TryGetError::ShutDown),
                None => return Err(TryGetError::Empty),
            }
        };
        self.wake_putters(1);
        Ok(item)
    }

    /// Polls a get: the item, or the end, or pending with `listener`
    /// registered (the queue was empty even after it was armed).
    pub(crate) fn poll_get(
        &self,
        listener: &mut Option<EventListener>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<T, ShutDown>> {
        use std::future::Future;
        use std::pin::Pin;
        use std::task::Poll;
        loop {
            match self.try_get() {
                Ok(item) => return Poll::Ready(Ok(item)),
                Err(TryGetError::ShutDown) => return Poll::Ready(Err(ShutDown(()))),
                Err(TryGetError::Empty) => {}
            }
            match listener {
                None => *listener = Some(self.getters.listen()),
                Some(l) => {
                    if Pin::new(l).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    *listener = None;
                }
            }
        }
    }

    pub(crate) async fn get(&self) -> Result<T, ShutDown> {
        let mut listener = None;
        std::future::poll_fn(|cx| self.poll_get(&mut listener, cx)).await
    }

    fn try_get_many(&self, max: usize, out: &mut Vec<T>) -> Result<usize, TryGetError> {
        let n = {
            let mut state = self.lock();
            if state.mode == Mode::Closed {
                return Err(TryGetError::ShutDown);
            }
            let n = max.min(state.store.len());
            out.reserve(n);
            for _ in 0..n {
                out.extend(state.store.pop());
            }
            if n == 0 {
                return Err(if state.mode == Mode::Draining {
                    TryGetError::ShutDown
                } else {
                    TryGetError::Empty
                });
            }
            n
        };
        self.wake_putters(n);
        Ok(n)
    }

    pub(crate) async fn get_many(&self, max: usize) -> Result<Vec<T>, ShutDown> {
        let mut out = Vec::new();
        if max == 0 {
            return Ok(out);
        }
        let mut listener: Option<EventListener> = None;
        loop {
            match self.try_get_many(max, &mut out) {
                Ok(_) => return Ok(out),
                Err(TryGetError::ShutDown) => return Err(ShutDown(())),
                Err(TryGetError::Empty) => {}
            }
            match listener.take() {
                None => listener = Some(self.getters.listen()),
                Some(l) => l.await,
            }
        }
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        self.tasks.done()
    }

    pub(crate) async fn join(&self) {
        self.tasks.join().await;
    }

    pub(crate) fn shutdown(&self) -> bool {
        {
            let mut state = self.lock();
            if state.mode != Mode::Open {
                return false;
            }
            state.mode = Mode::Draining;
        }
        self.wake_all();
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
            items
        };
        // As Python does: the items handed back will never be marked done.
        let _ = self.tasks.sub(items.len(), false);
        self.wake_all();
        items
    }

    fn wake_all(&self) {
        self.getters.notify(usize::MAX);
        self.putters.notify(usize::MAX);
    }
}
