use std::cell::OnceCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::padded::Padded;

/// Live figures of a [`CpuPool`](super::CpuPool), from
/// [`CpuPool::figures`](super::CpuPool::figures).
///
/// Each field is read on its own, so a snapshot taken while jobs move may be
/// off by the jobs that moved during the read; once the pool is idle it is
/// exact. A job's figures are updated before its future completes.
///
/// # Examples
///
/// ```
/// use async_kit::offload::CpuPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let pool = CpuPool::builder().threads(1).build().unwrap();
/// pool.offload(|| 1 + 1).await.unwrap();
/// pool.offload(|| panic!("bad input")).await.unwrap_err();
///
/// let figures = pool.figures();
/// assert_eq!(figures.completed, 1);
/// assert_eq!(figures.panicked, 1);
/// assert_eq!((figures.running, figures.queued, figures.skipped), (0, 0, 0));
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Figures {
    /// Jobs running on a pool thread now.
    pub running: usize,
    /// Jobs submitted and waiting for a pool thread.
    pub queued: usize,
    /// Jobs that returned a value.
    pub completed: u64,
    /// Jobs whose closure panicked.
    pub panicked: u64,
    /// Jobs skipped because their future was dropped before they started.
    pub skipped: u64,
}

/// The counters behind [`Figures`]. They are statistics, not
/// synchronisation: every access is relaxed, and no other data is published
/// through them (a job's figures reach its caller with the result, through
/// the oneshot channel's release and acquire).
///
/// They are laid out so that a job touches no cache line that another thread
/// writes: submitters count on one line, and each worker thread counts on
/// its own, found through a thread-local (so a job carries no reference
/// count either). Sums are taken only by [`Counters::snapshot`].
#[derive(Debug)]
pub(crate) struct Counters {
    submitted: Padded<AtomicU64>,
    workers: Box<[Arc<Padded<WorkerCounters>>]>,
}

/// What one worker thread counts, written by that thread only.
#[derive(Debug, Default)]
pub(crate) struct WorkerCounters {
    started: AtomicU64,
    skipped: AtomicU64,
    completed: AtomicU64,
    panicked: AtomicU64,
}

thread_local! {
    // The counters of the pool thread running now; set once, at the thread's
    // start (rayon's start handler), and never on other threads.
    static WORKER: OnceCell<Arc<Padded<WorkerCounters>>> = const { OnceCell::new() };
}

impl Counters {
    pub(crate) fn new(threads: usize) -> Self {
        Counters {
            submitted: Padded::default(),
            workers: (0..threads).map(|_| Arc::default()).collect(),
        }
    }

    /// Makes worker `index`'s counters those of the calling thread.
    pub(crate) fn install_worker(&self, index: usize) {
        WORKER.with(|worker| {
            worker.get_or_init(|| Arc::clone(&self.workers[index]));
        });
    }

    pub(crate) fn submitted(&self) {
        self.submitted.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `f` with the counters of the pool thread running now.
    pub(crate) fn on_worker(f: impl FnOnce(&WorkerCounters)) {
        WORKER.with(|worker| {
            if let Some(counters) = worker.get() {
                f(&counters.0);
            }
        });
    }

    pub(crate) fn snapshot(&self) -> Figures {
        // Submissions first: a job counted as started below was submitted
        // before, so `queued` never counts a job twice.
        let submitted = self.submitted.0.load(Ordering::Relaxed);
        let (mut started, mut skipped, mut completed, mut panicked) = (0, 0, 0, 0);
        for worker in self.workers.iter() {
            started += worker.0.started.load(Ordering::Relaxed);
            skipped += worker.0.skipped.load(Ordering::Relaxed);
            completed += worker.0.completed.load(Ordering::Relaxed);
            panicked += worker.0.panicked.load(Ordering::Relaxed);
        }
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Figures {
            running: count(started.saturating_sub(completed + panicked)),
            queued: count(submitted.saturating_sub(started + skipped)),
            completed,
            panicked,
            skipped,
        }
    }
}

impl WorkerCounters {
    pub(crate) fn skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn started(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self, panicked: bool) {
        let counter = if panicked {
            &self.panicked
        } else {
            &self.completed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
