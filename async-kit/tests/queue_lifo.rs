//! `LifoQueue`: last in, first out, and the shared queue behaviour through
//! the stack store.

use async_kit::queue::{LifoQueue, TryGetError, TryPutError};
use futures_util::StreamExt;
use tokio_test::task::spawn;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq};

#[test]
fn last_in_leaves_first() {
    let queue = LifoQueue::unbounded();
    for i in 0..5 {
        queue.try_put(i).unwrap();
    }
    let out: Vec<i32> = std::iter::from_fn(|| queue.try_get().ok()).collect();
    assert_eq!(out, [4, 3, 2, 1, 0]);
}

#[test]
fn interleaved_puts_and_gets_follow_the_stack() {
    let queue = LifoQueue::unbounded();
    queue.try_put(1).unwrap();
    queue.try_put(2).unwrap();
    assert_eq!(queue.try_get(), Ok(2));
    queue.try_put(3).unwrap();
    assert_eq!(queue.try_get(), Ok(3));
    assert_eq!(queue.try_get(), Ok(1));
    assert_eq!(queue.try_get(), Err(TryGetError::Empty));
}

#[tokio::test]
async fn bounded_put_waits_until_a_get() {
    let queue = LifoQueue::bounded(2);
    queue.put_many([1, 2]).await.unwrap();
    assert_eq!(queue.try_put(3), Err(TryPutError::Full(3)));
    let mut put = spawn(queue.put(3));
    assert_pending!(put.poll());
    assert_eq!(queue.get().await, Ok(2));
    assert!(put.is_woken());
    assert_ready_eq!(put.poll(), Ok(()));
    assert_eq!(queue.get_many(5).await, Ok(vec![3, 1]));
}

#[tokio::test]
async fn waiting_getters_wake_in_order() {
    let queue = LifoQueue::unbounded();
    let mut first = spawn(queue.get());
    let mut second = spawn(queue.get());
    assert_pending!(first.poll());
    assert_pending!(second.poll());
    queue.try_put("a").unwrap();
    assert!(first.is_woken());
    assert!(!second.is_woken());
    drop(first);
    assert!(second.is_woken());
    assert_ready_eq!(second.poll(), Ok("a"));
}

#[tokio::test]
async fn join_and_both_shutdowns() {
    let queue = LifoQueue::unbounded();
    queue.put_many([1, 2, 3, 4]).await.unwrap();
    let mut join = spawn(queue.join());
    assert_pending!(join.poll());
    queue.shutdown();
    assert_eq!(queue.get().await, Ok(4));
    queue.task_done().unwrap();
    assert_eq!(queue.shutdown_immediate(), [3, 2, 1]);
    assert!(queue.get().await.is_err());
    assert_ready!(join.poll());
}

#[tokio::test]
async fn stream_pops_from_the_top() {
    let queue = LifoQueue::unbounded();
    queue.put_many(["x", "y", "z"]).await.unwrap();
    queue.shutdown();
    let out: Vec<&str> = queue.stream().collect().await;
    assert_eq!(out, ["z", "y", "x"]);
}
