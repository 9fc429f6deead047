//! Stand-ins for the queue's primitives under `--cfg async_kit_loom`, built
//! on loom's, so that loom can explore every interleaving of the queue's
//! wake-up handshake.
//!
//! `Notify` models the parts of `tokio::sync::Notify` the queue relies on:
//! `notify_one` wakes the oldest waiter or stores one permit; `enable`
//! registers a waiter and returns `true` if it took a stored permit; a
//! waiter dropped after `notify_one` chose it passes the wake-up on;
//! `notify_waiters` wakes every registered waiter and stores nothing.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::sync::Mutex;
pub(super) use loom::sync::atomic::{AtomicBool, Ordering};

pub(super) struct Items<T> {
    inner: Mutex<(VecDeque<T>, bool)>,
}

impl<T> Items<T> {
    pub(super) fn new(_parking: bool) -> Self {
        Items {
            inner: Mutex::new((VecDeque::new(), false)),
        }
    }

    pub(super) fn push(&self, item: T) -> Result<(), T> {
        let mut inner = self.inner.lock().unwrap();
        if inner.1 {
            return Err(item);
        }
        inner.0.push_back(item);
        Ok(())
    }

    pub(super) fn push_front(&self, item: T) -> Result<(), T> {
        let mut inner = self.inner.lock().unwrap();
        if inner.1 {
            return Err(item);
        }
        inner.0.push_front(item);
        Ok(())
    }

    pub(super) fn pop(&self) -> Option<T> {
        self.inner.lock().unwrap().0.pop_front()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.inner.lock().unwrap().0.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.inner.lock().unwrap().0.len()
    }

    pub(super) fn close(&self) {
        self.inner.lock().unwrap().1 = true;
    }

    pub(super) fn is_closed(&self) -> bool {
        self.inner.lock().unwrap().1
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    One,
    All,
}

struct Waiter {
    id: usize,
    waker: Option<Waker>,
    notified: Option<Kind>,
}

struct State {
    permit: bool,
    next_id: usize,
    waiters: VecDeque<Waiter>,
}

pub(super) struct Notify {
    state: Mutex<State>,
}

impl Notify {
    pub(super) fn new() -> Self {
        Notify {
            state: Mutex::new(State {
                permit: false,
                next_id: 0,
                waiters: VecDeque::new(),
            }),
        }
    }

    pub(super) fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            id: None,
            done: false,
        }
    }

    pub(super) fn notify_one(&self) {
        let waker = Self::notify_one_locked(&mut self.state.lock().unwrap());
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn notify_one_locked(state: &mut State) -> Option<Waker> {
        match state.waiters.iter_mut().find(|w| w.notified.is_none()) {
            Some(waiter) => {
                waiter.notified = Some(Kind::One);
                waiter.waker.take()
            }
            None => {
                state.permit = true;
                None
            }
        }
    }

    pub(super) fn notify_waiters(&self) {
        let wakers: Vec<Waker> = {
            let mut state = self.state.lock().unwrap();
            state
                .waiters
                .iter_mut()
                .filter(|w| w.notified.is_none())
                .filter_map(|w| {
                    w.notified = Some(Kind::All);
                    w.waker.take()
                })
                .collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }
}

pub(super) struct Notified<'a> {
    notify: &'a Notify,
    id: Option<usize>,
    done: bool,
}

impl Notified<'_> {
    pub(super) fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().poll_with(None).is_ready()
    }

    fn poll_with(&mut self, waker: Option<&Waker>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let mut state = self.notify.state.lock().unwrap();
        match self.id {
            None => {
                if state.permit {
                    state.permit = false;
                    self.done = true;
                    return Poll::Ready(());
                }
                let id = state.next_id;
                state.next_id += 1;
                state.waiters.push_back(Waiter {
                    id,
                    waker: waker.cloned(),
                    notified: None,
                });
                self.id = Some(id);
                Poll::Pending
            }
            Some(id) => {
                let at = state.waiters.iter().position(|w| w.id == id).unwrap();
                if state.waiters[at].notified.is_some() {
                    state.waiters.remove(at);
                    self.done = true;
                    return Poll::Ready(());
                }
                if let Some(waker) = waker {
                    state.waiters[at].waker = Some(waker.clone());
                }
                Poll::Pending
            }
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().poll_with(Some(cx.waker()))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let (Some(id), false) = (self.id, self.done) else {
            return;
        };
        let waker = {
            let mut state = self.notify.state.lock().unwrap();
            let at = state.waiters.iter().position(|w| w.id == id).unwrap();
            let waiter = state.waiters.remove(at).unwrap();
            // Chosen by `notify_one` but never woken: pass it on.
            (waiter.notified == Some(Kind::One))
                .then(|| Notify::notify_one_locked(&mut state))
                .flatten()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
