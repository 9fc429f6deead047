//! A restart of redis-server (`kill -9`, then started again on the same
//! port and append-only file) in the middle of a run: the clients reconnect
//! by themselves, every put that returned `Ok` survives, and every failed
//! call says so.

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_kit_redis::{Error, Redis, RedisLimiter, RedisQueue};
use support::RedisServer;

const ITEMS: u64 = 400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_reconnect_and_no_acknowledged_put_is_lost() {
    let server = Arc::new(Mutex::new(RedisServer::start_appendonly()));
    let url = server.lock().unwrap().url();
    let redis = Redis::connect(&url).await.unwrap();
    let queue: RedisQueue<u64> = RedisQueue::builder("restart")
        .visibility_timeout(Duration::from_secs(600))
        .open(&redis)
        .await
        .unwrap();
    let limiter = RedisLimiter::open(&redis, "restart", 1).await.unwrap();

    let producer = tokio::spawn({
        let queue = queue.clone();
        async move {
            let mut confirmed = BTreeSet::new();
            let mut failures = 0;
            let mut n = 0;
            while n < ITEMS {
                match queue.put(n).await {
                    Ok(()) => {
                        confirmed.insert(n);
                        n += 1;
                    }
                    Err(err) => {
                        // The caller knows: this put may or may not have
                        // landed, and is tried again (a duplicate is allowed).
                        assert!(err.error().is_connection(), "{err}");
                        assert_eq!(err.into_inner(), n);
                        failures += 1;
                        assert!(failures < 10_000, "the client never reconnected");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            (confirmed, failures)
        }
    });

    // Restart once the producer is under way.
    while (queue.unfinished().await.unwrap_or(0) as u64) < ITEMS / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::task::spawn_blocking({
        let server = Arc::clone(&server);
        move || server.lock().unwrap().restart()
    })
    .await
    .unwrap();

    let (confirmed, failures) = tokio::time::timeout(Duration::from_secs(90), producer)
        .await
        .expect("the producer finished after the restart")
        .unwrap();
    assert_eq!(confirmed.len() as u64, ITEMS);
    // The restart did cut the producer: at least the put in flight failed.
    assert!(failures >= 1);

    // Every confirmed put is in Redis after the restart.
    let mut got = BTreeSet::new();
    loop {
        match queue.try_get().await {
            Ok(delivery) => {
                got.insert(*delivery);
                queue.task_done(delivery.id()).await.unwrap();
            }
            Err(Error::Empty) => break,
            Err(err) => panic!("{err}"),
        }
    }
    assert!(
        confirmed.is_subset(&got),
        "lost: {:?}",
        confirmed.difference(&got).collect::<Vec<_>>()
    );
    queue.join().await.unwrap();

    // The limiter's connection came back too, and its events still arrive.
    let held = limiter.acquire().await.unwrap();
    let waiter = tokio::spawn({
        let limiter = limiter.clone();
        async move { limiter.acquire().await.map(drop) }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    held.release().await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .expect("the release woke the waiter after the restart")
        .unwrap()
        .unwrap();
}
