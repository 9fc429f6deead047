//! The future a group submits to its pool for each child: the child's own
//! future, under its inherited deadline, watched by the group's abort
//! signal, with panics caught and the outcome recorded.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::time::Instant;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::error::ChildError;
use super::node::{self, Failure, Node};
use crate::time::{Elapsed, Timeout};

/// What a child hands the group: its outcome and, for a failure, its place
/// in the order of failures.
pub(super) type Ended<T, E> = (Result<T, ChildError<E>>, Option<u64>);

pin_project! {
    #[project = BodyProj]
    enum Body<F> {
        Plain { #[pin] future: F },
        // Spawned under a deadline: the crate's `Timeout`, which makes the
        // deadline visible inside and reports it as inherited.
        Bounded { #[pin] future: Timeout<F> },
        Done,
    }
}

impl<F: Future> Future for Body<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            BodyProj::Plain { future } => future.poll(cx).map(Ok),
            BodyProj::Bounded { future } => future.poll(cx),
            BodyProj::Done => panic!("a group child polled after it ended"),
        }
    }
}

pin_project! {
    pub(super) struct Child<F> {
        #[pin]
        body: Body<F>,
        // Moved into the thread-local during each poll (see `node::enter`).
        node: Option<Arc<Node>>,
        // Armed the first time the child waits, so a child that is ready
        // at once never touches the token's lock.
        #[pin]
        abort: Option<WaitForCancellationFutureOwned>,
    }
}

impl<F> Child<F> {
    pub(super) fn new(future: F, deadline: Option<Instant>, node: Arc<Node>) -> Self {
        let body = match deadline {
            None => Body::Plain { future },
            Some(deadline) => Body::Bounded {
                future: Timeout::inherited(deadline, future),
            },
        };
        Child {
            body,
            node: Some(node),
            abort: None,
        }
    }

    /// The user's future back, never polled (for a refused spawn).
    pub(super) fn into_future(self) -> F {
        match self.body {
            Body::Plain { future } => future,
            Body::Bounded { future } => future.into_inner(),
            Body::Done => unreachable!("a refused child was never polled"),
        }
    }
}

impl<F, T, E> Future for Child<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Ended<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let aborted = this.node.as_ref().is_none_or(|node| node.is_aborted());
        let result = if aborted {
            Err(ChildError::Cancelled)
        } else {
            let previous = node::enter(this.node.take());
            let polled = catch_unwind(AssertUnwindSafe(|| this.body.as_mut().poll(cx)));
            *this.node = node::enter(previous);
            match polled {
                Ok(Poll::Pending) => {
                    if this.abort.is_none() {
                        if let Some(node) = this.node.as_ref() {
                            this.abort.set(Some(node.abort_token().cancelled_owned()));
                        }
                    }
                    match this.abort.as_mut().as_pin_mut().map(|abort| abort.poll(cx)) {
                        Some(Poll::Ready(())) => Err(ChildError::Cancelled),
                        _ => return Poll::Pending,
                    }
                }
                Ok(Poll::Ready(Ok(Ok(output)))) => Ok(output),
                Ok(Poll::Ready(Ok(Err(err)))) => Err(ChildError::Failed(err)),
                Ok(Poll::Ready(Err(elapsed))) => Err(ChildError::Elapsed(elapsed)),
                Err(payload) => Err(ChildError::Panicked(payload)),
            }
        };
        // The child's future is dropped before the group hears of its end,
        // so its drop guards have run when `join` returns. A `Drop` that
        // panics is this child's panic.
        let dropped = catch_unwind(AssertUnwindSafe(|| this.body.set(Body::Done)));
        this.abort.set(None);
        let result = match (result, dropped) {
            (Ok(_) | Err(ChildError::Cancelled), Err(payload)) => {
                Err(ChildError::Panicked(payload))
            }
            (result, _) => result,
        };
        let node = this.node.take();
        Poll::Ready(match (result, node) {
            (Ok(output), _) => (Ok(output), None),
            (Err(error), None) => (Err(error), None),
            (Err(ChildError::Cancelled), Some(node)) => {
                node.cancelled.fetch_add(1, Ordering::Relaxed);
                (Err(ChildError::Cancelled), None)
            }
            (Err(error), Some(node)) => {
                let failure = match error {
                    ChildError::Panicked(_) => Failure::Panicked,
                    ChildError::Elapsed(_) => Failure::Elapsed,
                    _ => Failure::Failed,
                };
                let seq = node.fail(failure);
                (Err(error), Some(seq))
            }
        })
    }
}
