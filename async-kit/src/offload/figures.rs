use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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
/// through them.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    running: AtomicUsize,
    queued: AtomicUsize,
    completed: AtomicU64,
    panicked: AtomicU64,
    skipped: AtomicU64,
}

impl Counters {
    pub(crate) fn submitted(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn skipped(&self) {
        self.queued.fetch_sub(1, Ordering::Relaxed);
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn started(&self) {
        self.queued.fetch_sub(1, Ordering::Relaxed);
        self.running.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self, panicked: bool) {
        self.running.fetch_sub(1, Ordering::Relaxed);
        let counter = if panicked {
            &self.panicked
        } else {
            &self.completed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Figures {
        Figures {
            running: self.running.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            panicked: self.panicked.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
        }
    }
}
