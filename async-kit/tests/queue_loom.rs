//! Model checks of the queue core with loom: every interleaving of a few
//! threads (up to a preemption bound) through the lock, the idle-waiter
//! counts, event-listener, and the task counters.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p async-kit --release --test queue_loom
//! ```
//! (use a target dir of its own: the flag rebuilds every dependency)
#![cfg(loom)]

use std::future::Future;
use std::task::{Context, Poll, Waker};

use async_kit::queue::Queue;
use loom::future::block_on;
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(3);
    builder.check(f);
}

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    std::pin::Pin::new(fut).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn a_put_that_waits_for_room_is_woken_by_a_get() {
    model(|| {
        let queue = Queue::bounded(1);
        let producer = queue.clone();
        let putter = thread::spawn(move || {
            block_on(producer.put(1)).unwrap();
            block_on(producer.put(2)).unwrap();
        });
        assert_eq!(block_on(queue.get()), Ok(1));
        assert_eq!(block_on(queue.get()), Ok(2));
        putter.join().unwrap();
    });
}

#[test]
fn join_returns_after_the_last_task_done_on_another_thread() {
    model(|| {
        let queue = Queue::unbounded();
        queue.try_put(1).unwrap();
        queue.try_put(2).unwrap();
        let worker = queue.clone();
        let consumer = thread::spawn(move || {
            for _ in 0..2 {
                block_on(worker.get()).unwrap();
                worker.task_done().unwrap();
            }
        });
        block_on(queue.join());
        assert!(queue.is_empty());
        assert!(queue.task_done().is_err());
        consumer.join().unwrap();
    });
}

#[test]
fn a_cancelled_getter_passes_its_wake_up_on() {
    model(|| {
        let queue = Queue::unbounded();
        // The first getter registers before the second one exists.
        let mut first = Box::pin(queue.get());
        assert!(poll_once(&mut first).is_pending());
        let other = queue.clone();
        let second = thread::spawn(move || block_on(other.get()));
        let producer = queue.clone();
        let put = thread::spawn(move || producer.try_put(7).unwrap());
        // Cancelled, woken or not: the item must reach the second getter,
        // or loom finds it blocked forever.
        drop(first);
        put.join().unwrap();
        assert_eq!(second.join().unwrap(), Ok(7));
    });
}

#[test]
fn a_cancelled_putter_passes_its_wake_up_on() {
    model(|| {
        let queue = Queue::bounded(1);
        queue.try_put(0).unwrap();
        let mut first = Box::pin(queue.put(1));
        assert!(poll_once(&mut first).is_pending());
        let other = queue.clone();
        let second = thread::spawn(move || block_on(other.put(2)));
        let consumer = queue.clone();
        let get = thread::spawn(move || consumer.try_get().unwrap());
        drop(first);
        assert_eq!(get.join().unwrap(), 0);
        assert_eq!(second.join().unwrap(), Ok(()));
        assert_eq!(queue.try_get(), Ok(2));
    });
}

#[test]
fn a_dropped_permit_wakes_a_waiting_putter() {
    model(|| {
        let queue = Queue::bounded(1);
        let permit_queue = queue.clone();
        let other = queue.clone();
        let permit = permit_queue.try_reserve().unwrap();
        let putter = thread::spawn(move || block_on(other.put(5)));
        drop(permit);
        assert_eq!(putter.join().unwrap(), Ok(()));
        assert_eq!(queue.try_get(), Ok(5));
    });
}

#[test]
fn shutdown_wakes_waiting_getters_and_putters() {
    model(|| {
        let queue = Queue::<u8>::bounded(1);
        let getter_queue = queue.clone();
        let getter = thread::spawn(move || block_on(getter_queue.get()));
        assert!(queue.shutdown());
        assert!(getter.join().unwrap().is_err());

        let full = Queue::bounded(1);
        full.try_put(1).unwrap();
        let putter_queue = full.clone();
        let putter = thread::spawn(move || block_on(putter_queue.put(2)));
        assert_eq!(full.shutdown_immediate(), [1]);
        assert_eq!(putter.join().unwrap().unwrap_err().into_inner(), 2);
        block_on(full.join());
    });
}

#[test]
fn guards_on_two_threads_finish_every_task() {
    model(|| {
        let queue = Queue::unbounded();
        queue.try_put(1).unwrap();
        queue.try_put(2).unwrap();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let worker = queue.clone();
                thread::spawn(move || {
                    let guard = block_on(worker.get_guarded()).unwrap();
                    *guard
                })
            })
            .collect();
        block_on(queue.join());
        let mut got: Vec<i32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        got.sort();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn batches_wake_as_many_waiters_as_items_and_slots() {
    model(|| {
        let queue = Queue::bounded(2);
        let producer = queue.clone();
        let putter = thread::spawn(move || block_on(producer.put_many([1, 2, 3])));
        let consumer = queue.clone();
        let getter = thread::spawn(move || block_on(consumer.get()).unwrap());
        let mut got = vec![getter.join().unwrap()];
        while got.len() < 3 {
            got.extend(block_on(queue.get_many(2)).unwrap());
        }
        assert_eq!(putter.join().unwrap(), Ok(()));
        got.sort();
        assert_eq!(got, [1, 2, 3]);
    });
}
