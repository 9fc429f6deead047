//! `Queue`: the behaviour asyncio's own tests check (order, maxsize, waking
//! of getters and putters, task_done / join, shutdown both ways, cancelled
//! waiters), plus the parts asyncio lacks (reserve, guard, stream, batches).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::queue::{
    Permit, PutError, Queue, QueueStream, ShutDown, TaskDoneError, TaskGuard, TryGetError,
    TryPutError,
};
use futures_util::StreamExt;
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq};

/// Counts drops, to prove that a cancelled put dropped its item.
struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn items_leave_in_the_order_they_came() {
    let queue = Queue::unbounded();
    for i in [3, 1, 2, 5, 4] {
        queue.try_put(i).unwrap();
    }
    let out: Vec<i32> = std::iter::from_fn(|| queue.try_get().ok()).collect();
    assert_eq!(out, [3, 1, 2, 5, 4]);
}

#[test]
fn len_empty_full_and_capacity() {
    let queue = Queue::bounded(2);
    assert_eq!(
        (queue.len(), queue.is_empty(), queue.is_full()),
        (0, true, false)
    );
    assert_eq!(queue.capacity(), Some(2));
    queue.try_put(1).unwrap();
    assert_eq!(
        (queue.len(), queue.is_empty(), queue.is_full()),
        (1, false, false)
    );
    queue.try_put(2).unwrap();
    assert_eq!(
        (queue.len(), queue.is_empty(), queue.is_full()),
        (2, false, true)
    );
    assert_eq!(queue.try_put(3), Err(TryPutError::Full(3)));

    let unbounded = Queue::unbounded();
    for i in 0..10_000 {
        unbounded.try_put(i).unwrap();
    }
    assert!(!unbounded.is_full());
    assert_eq!(unbounded.capacity(), None);
}

#[test]
#[should_panic(expected = "capacity above zero")]
fn zero_capacity_panics() {
    let _ = Queue::<u8>::bounded(0);
}

#[tokio::test]
async fn put_waits_while_full_and_wakes_on_get() {
    let queue = Queue::bounded(1);
    queue.put(1).await.unwrap();
    let mut put = spawn(queue.put(2));
    assert_pending!(put.poll());
    assert_eq!(queue.try_get(), Ok(1));
    assert!(put.is_woken());
    assert_ready_eq!(put.poll(), Ok(()));
    assert_eq!(queue.try_get(), Ok(2));
}

#[tokio::test]
async fn get_waits_while_empty_and_wakes_on_put() {
    let queue = Queue::unbounded();
    let mut get = spawn(queue.get());
    assert_pending!(get.poll());
    queue.try_put("x").unwrap();
    assert!(get.is_woken());
    assert_ready_eq!(get.poll(), Ok("x"));
}

#[tokio::test]
async fn waiting_getters_are_served_in_fifo_order() {
    let queue = Queue::unbounded();
    let mut first = spawn(queue.get());
    let mut second = spawn(queue.get());
    let mut third = spawn(queue.get());
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    assert_pending!(third.poll());
    queue.try_put(1).unwrap();
    assert!(first.is_woken());
    assert!(!second.is_woken());
    queue.try_put(2).unwrap();
    assert!(second.is_woken());
    assert!(!third.is_woken());
    assert_ready_eq!(first.poll(), Ok(1));
    assert_ready_eq!(second.poll(), Ok(2));
    assert_pending!(third.poll());
}

#[tokio::test]
async fn waiting_putters_are_served_in_fifo_order() {
    let queue = Queue::bounded(1);
    queue.try_put(0).unwrap();
    let mut first = spawn(queue.put(1));
    let mut second = spawn(queue.put(2));
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    assert_eq!(queue.try_get(), Ok(0));
    assert!(first.is_woken());
    assert!(!second.is_woken());
    assert_ready_eq!(first.poll(), Ok(()));
    assert_pending!(second.poll());
    assert_eq!(queue.try_get(), Ok(1));
    assert_ready_eq!(second.poll(), Ok(()));
    assert_eq!(queue.try_get(), Ok(2));
}

#[tokio::test]
async fn cancelled_getter_loses_no_item_and_passes_its_wake_up_on() {
    let queue = Queue::unbounded();
    let mut first = spawn(queue.get());
    let mut second = spawn(queue.get());
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    queue.try_put(7).unwrap();
    assert!(first.is_woken());
    assert!(!second.is_woken());
    // The woken getter is cancelled before it runs.
    drop(first);
    assert!(second.is_woken());
    assert_ready_eq!(second.poll(), Ok(7));
}

#[tokio::test]
async fn cancelled_getter_before_any_put_takes_nothing() {
    let queue = Queue::unbounded();
    let mut get = spawn(queue.get());
    assert_pending!(get.poll());
    drop(get);
    queue.try_put(1).unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue.try_get(), Ok(1));
}

#[tokio::test]
async fn cancelled_putter_drops_its_item_and_leaves_nothing_unfinished() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::bounded(1);
    queue.try_put(DropGuard(drops.clone())).unwrap();
    let mut put = spawn(queue.put(DropGuard(drops.clone())));
    let mut next = spawn(queue.put(DropGuard(drops.clone())));
    assert_pending!(put.poll());
    assert_pending!(next.poll());
    drop(queue.try_get().unwrap());
    assert!(put.is_woken());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    // Cancelled after it was woken: its item is dropped, the slot and the
    // wake-up go to the next putter.
    drop(put);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert!(next.is_woken());
    assert_ready!(next.poll()).unwrap();
    drop(queue.try_get().unwrap());
    queue.task_done().unwrap();
    queue.task_done().unwrap();
    assert!(queue.task_done().is_err());
    assert_ready!(spawn(queue.join()).poll());
}

#[tokio::test]
async fn join_waits_for_the_last_task_done() {
    let queue = Queue::unbounded();
    let mut idle = spawn(queue.join());
    assert_ready!(idle.poll());

    queue.put_many([1, 2]).await.unwrap();
    let mut join = spawn(queue.join());
    assert_pending!(join.poll());
    queue.get().await.unwrap();
    queue.get().await.unwrap();
    assert_pending!(join.poll());
    queue.task_done().unwrap();
    assert!(!join.is_woken());
    assert_pending!(join.poll());
    queue.task_done().unwrap();
    assert!(join.is_woken());
    assert_ready!(join.poll());
}

#[tokio::test]
async fn task_done_too_many_times_is_an_error_and_does_not_wrap() {
    let queue = Queue::unbounded();
    assert!(queue.task_done().is_err());
    queue.put(1).await.unwrap();
    queue.get().await.unwrap();
    queue.task_done().unwrap();
    let err: TaskDoneError = queue.task_done().unwrap_err();
    assert_eq!(
        err.to_string(),
        "task_done() called more times than items were put"
    );
    // The count stayed at zero: join is ready and a new item counts as one.
    assert_ready!(spawn(queue.join()).poll());
    queue.put(2).await.unwrap();
    let mut join = spawn(queue.join());
    assert_pending!(join.poll());
    queue.task_done().unwrap();
    assert_ready!(join.poll());
}

#[tokio::test]
async fn every_join_waiter_wakes() {
    let queue = Queue::unbounded();
    queue.put(1).await.unwrap();
    let mut joins: Vec<_> = (0..3).map(|_| spawn(queue.join())).collect();
    for join in &mut joins {
        assert_pending!(join.poll());
    }
    queue.task_done().unwrap();
    for join in &mut joins {
        assert!(join.is_woken());
        assert_ready!(join.poll());
    }
}

#[tokio::test]
async fn guard_marks_the_task_done_on_drop_and_into_inner() {
    let queue = Queue::unbounded();
    queue
        .put_many([String::from("a"), String::from("b")])
        .await
        .unwrap();
    let mut join = spawn(queue.join());
    assert_pending!(join.poll());

    let mut a: TaskGuard<'_, String> = queue.get_guarded().await.unwrap();
    a.push('!');
    assert_eq!(*a, "a!");
    drop(a);
    assert_pending!(join.poll());

    let b = queue.get_guarded().await.unwrap();
    assert_eq!(b.into_inner(), "b");
    assert!(join.is_woken());
    assert_ready!(join.poll());
    assert!(queue.task_done().is_err());
}

#[tokio::test]
async fn a_panicking_consumer_cannot_hang_join() {
    let queue = Queue::unbounded();
    queue.put(1).await.unwrap();
    let worker = queue.clone();
    let handle = tokio::spawn(async move {
        let _job = worker.get_guarded().await.unwrap();
        panic!("the consumer fails");
    });
    assert!(handle.await.unwrap_err().is_panic());
    assert_ready!(spawn(queue.join()).poll());
}

#[tokio::test]
async fn shutdown_fails_puts_drains_gets_and_wakes_waiters() {
    let queue = Queue::bounded(2);
    queue.put_many([1, 2]).await.unwrap();
    let mut put = spawn(queue.put(3));
    assert_pending!(put.poll());

    assert!(queue.shutdown());
    assert!(queue.is_shutdown());
    assert!(put.is_woken());
    assert_ready_eq!(put.poll(), Err(PutError(3)));
    assert_eq!(queue.try_put(4), Err(TryPutError::ShutDown(4)));
    assert_eq!(queue.put(5).await.unwrap_err().into_inner(), 5);
    assert!(matches!(queue.reserve().await, Err(ShutDown { .. })));

    assert_eq!(queue.get().await, Ok(1));
    assert_eq!(queue.get_many(5).await, Ok(vec![2]));
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
    assert!(queue.get().await.is_err());
    assert!(queue.get_many(5).await.is_err());
    // Python's meaning: shutdown alone does not finish the tasks.
    let mut join = spawn(queue.join());
    assert_pending!(join.poll());
    queue.task_done().unwrap();
    queue.task_done().unwrap();
    assert_ready!(join.poll());
}

#[tokio::test]
async fn shutdown_wakes_waiting_getters() {
    let queue = Queue::<u8>::unbounded();
    let mut first = spawn(queue.get());
    let mut second = spawn(queue.get());
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    queue.shutdown();
    assert!(first.is_woken() && second.is_woken());
    assert!(assert_ready!(first.poll()).is_err());
    assert!(assert_ready!(second.poll()).is_err());
}

#[tokio::test]
async fn immediate_shutdown_hands_items_back_and_fails_gets_at_once() {
    let queue = Queue::bounded(3);
    queue.put_many([1, 2, 3]).await.unwrap();
    let mut put = spawn(queue.put(4));
    assert_pending!(put.poll());
    let taken = queue.get().await.unwrap();
    assert_eq!(taken, 1);
    let mut join = spawn(queue.join());
    assert_pending!(join.poll());

    assert_eq!(queue.shutdown_immediate(), [2, 3]);
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
    assert!(queue.get().await.is_err());
    assert_eq!(assert_ready!(put.poll()), Err(PutError(4)));
    assert!(queue.is_empty());
    // The item handed back count as done; the one taken still needs its
    // task_done.
    assert_pending!(join.poll());
    queue.task_done().unwrap();
    assert!(join.is_woken());
    assert_ready!(join.poll());
    assert!(queue.shutdown_immediate().is_empty());
    assert!(!queue.shutdown());
}

#[tokio::test]
async fn immediate_shutdown_wakes_a_join_when_nothing_is_left() {
    let queue = Queue::unbounded();
    queue.put_many(["a", "b"]).await.unwrap();
    let mut getter_side = spawn(queue.get());
    assert_ready_eq!(getter_side.poll(), Ok("a"));
    queue.task_done().unwrap();
    let mut join = spawn(queue.join());
    assert_pending!(join.poll());
    assert_eq!(queue.shutdown_immediate(), ["b"]);
    assert!(join.is_woken());
    assert_ready!(join.poll());
}

#[tokio::test]
async fn immediate_shutdown_after_premature_task_done_saturates() {
    let queue = Queue::unbounded();
    queue.put_many([1, 2]).await.unwrap();
    queue.task_done().unwrap();
    queue.task_done().unwrap();
    assert_eq!(queue.shutdown_immediate(), [1, 2]);
    assert!(queue.task_done().is_err());
    assert_ready!(spawn(queue.join()).poll());
}

#[tokio::test]
async fn reserve_counts_against_capacity_and_keeps_the_item_on_cancel() {
    let queue = Queue::bounded(2);
    let permit: Permit<'_, Queue<&str>> = queue.reserve().await.unwrap();
    assert!(queue.try_put("a").is_ok());
    assert!(queue.is_full());
    assert_eq!(queue.len(), 1);
    assert!(queue.try_put("b").unwrap_err().is_full());

    // A reserve that waits and is cancelled reserves nothing.
    let mut waiting = spawn(queue.reserve());
    assert_pending!(waiting.poll());
    drop(waiting);

    let mut waiting = spawn(queue.reserve());
    assert_pending!(waiting.poll());
    // Dropping the permit unused gives its slot back and wakes the waiter.
    drop(permit);
    assert!(waiting.is_woken());
    let second = assert_ready!(waiting.poll()).unwrap();
    drop(waiting);
    second.put("c").unwrap();
    assert_eq!(queue.get_many(2).await, Ok(vec!["a", "c"]));
    assert!(queue.try_reserve().is_ok());
}

#[tokio::test]
async fn permit_put_after_shutdown_hands_the_item_back() {
    let queue = Queue::bounded(1);
    let permit = queue.try_reserve().unwrap();
    queue.shutdown();
    assert_eq!(permit.put(9), Err(PutError(9)));
    assert!(queue.is_empty());
    assert!(!queue.is_full());
    assert!(queue.task_done().is_err());
}

#[tokio::test]
async fn put_many_waits_for_room_and_get_many_takes_what_is_there() {
    let queue = Queue::bounded(2);
    let mut put = spawn(queue.put_many(1..=5));
    assert_pending!(put.poll());
    assert_eq!(queue.len(), 2);
    assert_eq!(queue.get_many(10).await, Ok(vec![1, 2]));
    assert!(put.is_woken());
    assert_pending!(put.poll());
    assert_eq!(queue.get_many(1).await, Ok(vec![3]));
    assert_eq!(queue.get_many(0).await, Ok(vec![]));
    assert_eq!(queue.try_get(), Ok(4));
    assert_ready_eq!(put.poll(), Ok(()));
    assert_eq!(queue.try_get(), Ok(5));

    let mut get = spawn(queue.get_many(3));
    assert_pending!(get.poll());
    queue.try_put(6).unwrap();
    assert_ready_eq!(get.poll(), Ok(vec![6]));
}

#[tokio::test]
async fn put_many_hands_back_what_was_not_put_on_shutdown() {
    let queue = Queue::bounded(2);
    let mut put = spawn(queue.put_many(1..=5));
    assert_pending!(put.poll());
    queue.shutdown();
    assert_ready_eq!(put.poll(), Err(PutError(vec![3, 4, 5])));
    assert_eq!(queue.shutdown_immediate(), [1, 2]);
}

#[tokio::test]
async fn stream_yields_items_until_shutdown_and_drain() {
    let queue = Queue::unbounded();
    let mut stream: QueueStream<Queue<u32>> = queue.stream();
    let mut next = spawn(stream.next());
    assert_pending!(next.poll());
    queue.try_put(1).unwrap();
    assert_ready_eq!(next.poll(), Some(1));
    drop(next);
    queue.put_many([2, 3]).await.unwrap();
    queue.shutdown();
    let rest: Vec<u32> = stream.collect().await;
    assert_eq!(rest, [2, 3]);
}

#[tokio::test(start_paused = true)]
async fn select_against_a_timeout_loses_nothing() {
    let queue = Queue::unbounded();
    for _ in 0..3 {
        tokio::select! {
            item = queue.get() => panic!("nothing was put, got {item:?}"),
            () = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
    }
    let producer = queue.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(15)).await;
        producer.put(1).await.unwrap();
    });
    let mut got = None;
    while got.is_none() {
        tokio::select! {
            item = queue.get() => got = Some(item.unwrap()),
            () = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
    }
    assert_eq!(got, Some(1));
    assert!(queue.is_empty());
}

#[tokio::test]
async fn clones_share_the_queue_and_debug_shows_its_state() {
    let queue = Queue::bounded(4);
    let other = queue.clone();
    other.put(1).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(
        format!("{queue:?}"),
        "Queue { len: 1, capacity: Some(4), unfinished: 1, shutdown: false }"
    );
}

#[test]
fn errors_display_and_hand_items_back() {
    assert_eq!(TryPutError::Full(1).to_string(), "queue is full");
    assert_eq!(TryPutError::ShutDown(1).to_string(), "queue is shut down");
    assert_eq!(TryPutError::ShutDown(1).into_inner(), 1);
    assert_eq!(PutError(2).to_string(), "queue is shut down");
    assert_eq!(TryGetError::Empty.to_string(), "queue is empty");
    assert_eq!(TryGetError::ShutDown.to_string(), "queue is shut down");
    assert_eq!(format!("{:?}", PutError(String::new())), "PutError(..)");
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(TryPutError::Full(1));
    assert_eq!(boxed.to_string(), "queue is full");
}

fn is_send_sync_unpin<T: Send + Sync + Unpin>(_: &T) {}
fn is_send<T: Send>(_: &T) {}

#[test]
fn auto_traits() {
    use async_kit::{LifoQueue, PriorityQueue};
    let queue = Queue::<u32>::bounded(4);
    is_send_sync_unpin(&queue);
    is_send_sync_unpin(&PriorityQueue::<u32>::unbounded());
    is_send_sync_unpin(&LifoQueue::<u32>::unbounded());
    is_send_sync_unpin(&queue.stream());
    is_send_sync_unpin(&queue.try_reserve().unwrap());
    queue.try_put(1).unwrap();
    is_send(&queue.put(1));
    is_send(&queue.get());
    is_send(&queue.get_guarded());
    is_send(&queue.get_many(2));
    is_send(&queue.put_many([1]));
    is_send(&queue.reserve());
    is_send(&queue.join());
    let guard = tokio_test::block_on(queue.get_guarded()).unwrap();
    is_send_sync_unpin(&guard);
    is_send_sync_unpin(&PutError(1));
    is_send_sync_unpin(&TryPutError::Full(1));
    is_send_sync_unpin(&TryGetError::Empty);
    is_send_sync_unpin(&Queue::<u8>::unbounded().task_done().unwrap_err());
}

#[tokio::test]
async fn a_dropped_stream_passes_its_wake_up_on() {
    let queue = Queue::unbounded();
    let mut stream = queue.stream();
    let mut next = spawn(stream.next());
    assert_pending!(next.poll());
    drop(next);
    let mut get = spawn(queue.get());
    assert_pending!(get.poll());
    queue.try_put(1).unwrap();
    assert!(!get.is_woken());
    // The stream was first in line and got the wake-up; dropping it hands
    // the wake-up to the next getter.
    drop(stream);
    assert!(get.is_woken());
    assert_ready_eq!(get.poll(), Ok(1));
}

#[tokio::test]
async fn a_cancelled_get_many_passes_its_wake_up_on() {
    let queue = Queue::unbounded();
    let mut many = spawn(queue.get_many(4));
    let mut one = spawn(queue.get());
    assert_pending!(many.poll());
    assert_pending!(one.poll());
    queue.try_put(1).unwrap();
    assert!(many.is_woken());
    drop(many);
    assert!(one.is_woken());
    assert_ready_eq!(one.poll(), Ok(1));
}
