//! `PriorityQueue`: smallest first, ties in the order they came, and the
//! shared queue behaviour through the priority store.

use std::cmp::{Ordering, Reverse};

use async_kit::queue::{PriorityQueue, TryGetError};
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq};

/// Ordered by `priority` only, so equal priorities are ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Job {
    priority: u8,
    id: u32,
}

impl Ord for Job {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority.cmp(&other.priority)
    }
}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn drain<T: Ord>(queue: &PriorityQueue<T>) -> Vec<T> {
    std::iter::from_fn(|| queue.try_get().ok()).collect()
}

#[test]
fn smallest_leaves_first() {
    let queue = PriorityQueue::unbounded();
    for i in [5, 1, 4, 2, 3, 0] {
        queue.try_put(i).unwrap();
    }
    assert_eq!(drain(&queue), [0, 1, 2, 3, 4, 5]);
}

#[test]
fn reverse_makes_the_largest_leave_first() {
    let queue = PriorityQueue::unbounded();
    for i in [2, 9, 4] {
        queue.try_put(Reverse(i)).unwrap();
    }
    assert_eq!(drain(&queue), [Reverse(9), Reverse(4), Reverse(2)]);
}

#[test]
fn ties_leave_in_the_order_they_came() {
    let queue = PriorityQueue::unbounded();
    let jobs: Vec<Job> = (0..200)
        .map(|id| Job {
            priority: (id * 7 % 3) as u8,
            id,
        })
        .collect();
    for job in &jobs {
        queue.try_put(*job).unwrap();
    }
    let out = drain(&queue);
    let mut expected = jobs.clone();
    // A stable sort keeps the order of ties: what the queue must do.
    expected.sort_by_key(|job| job.priority);
    let ids = |v: &[Job]| v.iter().map(|j| (j.priority, j.id)).collect::<Vec<_>>();
    assert_eq!(ids(&out), ids(&expected));
}

#[test]
fn ties_stay_fifo_across_interleaved_puts_and_gets() {
    let queue = PriorityQueue::unbounded();
    let job = |id| Job { priority: 1, id };
    queue.try_put(job(0)).unwrap();
    queue.try_put(job(1)).unwrap();
    assert_eq!(queue.try_get().unwrap().id, 0);
    queue.try_put(job(2)).unwrap();
    queue.try_put(Job { priority: 0, id: 3 }).unwrap();
    let ids: Vec<u32> = drain(&queue).iter().map(|j| j.id).collect();
    assert_eq!(ids, [3, 1, 2]);
}

#[tokio::test]
async fn bounded_put_waits_and_get_many_is_ordered() {
    let queue = PriorityQueue::bounded(3);
    queue.put_many([3, 1, 2]).await.unwrap();
    assert!(queue.is_full());
    let mut put = spawn(queue.put(0));
    assert_pending!(put.poll());
    assert_eq!(queue.try_get(), Ok(1));
    assert!(put.is_woken());
    assert_ready_eq!(put.poll(), Ok(()));
    assert_eq!(queue.get_many(10).await, Ok(vec![0, 2, 3]));
}

#[tokio::test]
async fn a_waiting_getter_gets_the_smallest_at_the_time() {
    let queue = PriorityQueue::unbounded();
    let mut get = spawn(queue.get());
    assert_pending!(get.poll());
    queue.try_put(5).unwrap();
    queue.try_put(1).unwrap();
    assert_ready_eq!(get.poll(), Ok(1));
}

#[tokio::test]
async fn task_done_join_and_shutdown_work_as_for_queue() {
    let queue = PriorityQueue::bounded(4);
    queue.put_many([4, 2, 3]).await.unwrap();
    let mut join = spawn(queue.join());
    assert_pending!(join.poll());
    let guard = queue.get_guarded().await.unwrap();
    assert_eq!(*guard, 2);
    drop(guard);
    assert_eq!(queue.shutdown_immediate(), [3, 4]);
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
    assert!(join.is_woken());
    assert_ready!(join.poll());
    assert!(queue.task_done().is_err());
}

#[tokio::test]
async fn graceful_shutdown_drains_in_priority_order() {
    let queue = PriorityQueue::unbounded();
    queue.put_many([9, 7, 8]).await.unwrap();
    queue.shutdown();
    assert!(queue.put(1).await.is_err());
    let mut out = Vec::new();
    while let Ok(x) = queue.get().await {
        out.push(x);
    }
    assert_eq!(out, [7, 8, 9]);
}

#[test]
fn a_panicking_ord_leaves_the_queue_usable() {
    use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
    static ARMED: AtomicBool = AtomicBool::new(true);

    #[derive(Debug, PartialEq, Eq)]
    struct Touchy(u8);
    impl PartialOrd for Touchy {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Touchy {
        fn cmp(&self, other: &Self) -> Ordering {
            if ARMED.load(AtomicOrdering::SeqCst) && (self.0 == 13 || other.0 == 13) {
                panic!("unlucky");
            }
            self.0.cmp(&other.0)
        }
    }
    let queue = PriorityQueue::unbounded();
    queue.try_put(Touchy(1)).unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = queue.try_put(Touchy(13));
    }));
    assert!(panicked.is_err());
    ARMED.store(false, AtomicOrdering::SeqCst);
    // The unwinding released the lock, and the heap kept both items.
    queue.try_put(Touchy(0)).unwrap();
    assert_eq!(queue.try_get(), Ok(Touchy(0)));
    assert_eq!(queue.try_get(), Ok(Touchy(1)));
    assert_eq!(queue.try_get(), Ok(Touchy(13)));
    for _ in 0..3 {
        queue.task_done().unwrap();
    }
    assert!(queue.task_done().is_err());
}
