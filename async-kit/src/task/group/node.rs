//! A group's place in the cancellation tree, shared by the group, its
//! handles and every child, and the thread-local that says which group's
//! child is being polled (so a group made there becomes its child).

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio_util::sync::CancellationToken;

thread_local! {
    // The node of the group whose child (or scope body) is being polled on
    // this thread. Set for one poll only, as the deadline of a `Timeout`
    // is; the child moves its `Arc` in and out, so a poll costs no count.
    static CURRENT: Cell<Option<Arc<Node>>> = const { Cell::new(None) };
}

/// Makes `node` current on this thread; returns the one it replaces, to
/// put back after the poll.
pub(super) fn enter(node: Option<Arc<Node>>) -> Option<Arc<Node>> {
    CURRENT.with(|current| current.replace(node))
}

pub(super) struct Node {
    /// The cooperative signal: children may watch it and stop by
    /// themselves. A child of the parent group's token.
    pub(super) token: CancellationToken,
    /// The hard signal: every waiting child is dropped when it fires.
    /// `aborted` mirrors it, so a child's poll checks a plain atomic.
    abort: CancellationToken,
    aborted: AtomicBool,
    supervisor: bool,
    /// Once a shutdown has begun, failures no longer abort the others:
    /// the shutdown's grace decides when they stop.
    shutting_down: AtomicBool,
    /// Failures so far: each failure takes the next number, which orders
    /// the errors `join` returns.
    failures: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) panicked: AtomicU64,
    pub(super) cancelled: AtomicU64,
}

/// How a child ended when it did not return `Ok`, for the counters.
#[derive(Clone, Copy)]
pub(super) enum Failure {
    /// Returned `Err`.
    Failed,
    Panicked,
    /// Passed its inherited deadline: counted as failed, but it aborts no
    /// sibling, since those spawned under the same deadline stop at it by
    /// themselves and those detached from it are meant to go on.
    Elapsed,
}

impl Node {
    /// A node under the group whose child is being polled here, if any.
    pub(super) fn new(supervisor: bool) -> Self {
        let token = CURRENT.with(|current| {
            let parent = current.take();
            let token = parent.as_ref().map(|parent| parent.token.child_token());
            current.set(parent);
            token
        });
        Node {
            token: token.unwrap_or_default(),
            abort: CancellationToken::new(),
            aborted: AtomicBool::new(false),
            supervisor,
            shutting_down: AtomicBool::new(false),
            failures: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            panicked: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
        }
    }

    pub(super) fn is_supervisor(&self) -> bool {
        self.supervisor
    }

    pub(super) fn is_aborted(&self) -> bool {
        // Acquire pairs with the Release in `abort`: a child that sees the
        // flag sees everything the aborter did before.
        self.aborted.load(Ordering::Acquire)
    }

    /// Cancels the token and drops every child at its next poll.
    pub(super) fn abort(&self) {
        // The flag goes first: a child that misses it registers on `abort`
        // and is woken by the `cancel` below.
        self.aborted.store(true, Ordering::Release);
        self.token.cancel();
        self.abort.cancel();
    }

    /// A token whose `cancelled_owned` a waiting child selects on.
    pub(super) fn abort_token(&self) -> CancellationToken {
        self.abort.clone()
    }

    pub(super) fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.token.cancel();
    }

    /// Records a failure; in fail-fast mode (and outside a shutdown) an
    /// error or a panic aborts the others. Returns its place in the order of failures.
    pub(super) fn fail(&self, failure: Failure) -> u64 {
        let seq = self.failures.fetch_add(1, Ordering::AcqRel);
        match failure {
            Failure::Failed | Failure::Elapsed => self.failed.fetch_add(1, Ordering::Relaxed),
            Failure::Panicked => self.panicked.fetch_add(1, Ordering::Relaxed),
        };
        if !self.supervisor
            && !matches!(failure, Failure::Elapsed)
            && !self.shutting_down.load(Ordering::Acquire)
        {
            self.abort();
        }
        seq
    }

    pub(super) fn has_failed(&self) -> bool {
        self.failures.load(Ordering::Acquire) > 0
    }
}
