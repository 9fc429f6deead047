//! `RedisQueue` in one process, with several handles standing for several
//! processes (each handle is its own consumer): the verbs, capacity,
//! leases, shutdown and bad entries, against a real redis-server.

mod support;

use std::time::Duration;

use async_kit_redis::{Error, Redis, RedisQueue};
use serde::{Deserialize, Serialize};
use support::RedisServer;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Job {
    n: u32,
    url: String,
}

fn job(n: u32) -> Job {
    Job {
        n,
        url: format!("http://127.0.0.1:3000/aio?{n}"),
    }
}

async fn open<T>(server: &RedisServer, name: &str, capacity: usize) -> RedisQueue<T>
where
    T: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    let redis = Redis::connect(&server.url()).await.unwrap();
    RedisQueue::builder(name)
        .capacity(capacity)
        .visibility_timeout(Duration::from_millis(300))
        .open(&redis)
        .await
        .unwrap()
}

async fn verbs_in_order() {
    let server = RedisServer::start();
    let producer: RedisQueue<Job> = open(&server, "verbs", 0).await;
    let consumer: RedisQueue<Job> = open(&server, "verbs", 0).await;
    assert_eq!(producer.name(), "verbs");
    assert_eq!(producer.capacity(), None);
    assert!(matches!(consumer.try_get().await, Err(Error::Empty)));

    for n in 0..3 {
        producer.put(job(n)).await.unwrap();
    }
    assert_eq!(consumer.len().await.unwrap(), 3);
    assert_eq!(consumer.unfinished().await.unwrap(), 3);

    // First in, first out, across handles.
    let first = consumer.get().await.unwrap();
    assert_eq!(*first, job(0));
    let second = consumer.try_get().await.unwrap();
    assert_eq!(second.n, 1);
    assert_eq!(producer.len().await.unwrap(), 1);
    assert_eq!(producer.unfinished().await.unwrap(), 3);

    assert!(consumer.extend_lease(first.id()).await.unwrap());
    assert!(
        !producer.extend_lease(first.id()).await.unwrap(),
        "not its lease"
    );
    assert!(consumer.task_done(first.id()).await.unwrap());
    assert!(
        !consumer.extend_lease(first.id()).await.unwrap(),
        "finished"
    );
    // A second acknowledgement of the same item acknowledges nothing.
    assert!(!producer.task_done(first.id()).await.unwrap());
    assert_eq!(producer.unfinished().await.unwrap(), 2);

    let guard = consumer.get_guarded().await.unwrap();
    assert_eq!(guard.n, 2);
    assert!(guard.done().await.unwrap());
    assert!(producer.task_done(second.id()).await.unwrap());
    assert!(producer.is_empty().await.unwrap());
    producer.join().await.unwrap();
}

#[tokio::test]
async fn verbs_current_thread() {
    verbs_in_order().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbs_multi_thread() {
    verbs_in_order().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_get_is_woken_by_a_put_of_another_handle() {
    let server = RedisServer::start();
    let producer: RedisQueue<u32> = open(&server, "wake-get", 0).await;
    // A long lease: only the put's event can wake the getter in time.
    let redis = Redis::connect(&server.url()).await.unwrap();
    let consumer: RedisQueue<u32> = RedisQueue::builder("wake-get")
        .visibility_timeout(Duration::from_secs(3600))
        .open(&redis)
        .await
        .unwrap();
    let getter = tokio::spawn(async move { consumer.get().await.map(|d| d.into_inner()) });
    tokio::task::yield_now().await;
    producer.put(7).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(30), getter)
        .await
        .expect("the put woke the getter")
        .unwrap()
        .unwrap();
    assert_eq!(got, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_is_shared_and_a_get_wakes_a_waiting_put() {
    let server = RedisServer::start();
    let a: RedisQueue<u32> = open(&server, "bounded", 2).await;
    let b: RedisQueue<u32> = open(&server, "bounded", 2).await;
    assert_eq!(a.capacity(), Some(2));
    a.put(1).await.unwrap();
    b.put(2).await.unwrap();
    // Full for both handles: the count lives in Redis.
    let err = a.try_put(3).await.unwrap_err();
    assert!(matches!(err.error(), Error::Full));
    assert_eq!(err.into_inner(), 3);
    assert!(matches!(
        b.try_put(4).await.unwrap_err().error(),
        Error::Full
    ));

    let waiting = tokio::spawn({
        let b = b.clone();
        async move { b.put(5).await.map_err(|err| err.into_inner()) }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "a put into a full queue waits");
    assert_eq!(a.len().await.unwrap(), 2);

    // A get frees a slot even before its task is done.
    let first = a.get().await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("the get woke the putter")
        .unwrap()
        .unwrap();
    assert_eq!(a.len().await.unwrap(), 2);
    assert_eq!(a.unfinished().await.unwrap(), 3);
    a.task_done(first.id()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unacknowledged_item_is_redelivered_after_its_lease_unless_extended() {
    let server = RedisServer::start();
    let first: RedisQueue<u32> = open(&server, "lease", 0).await;
    let second: RedisQueue<u32> = open(&server, "lease", 0).await;
    first.put(1).await.unwrap();
    first.put(2).await.unwrap();
    let lost = first.get().await.unwrap();
    let kept = first.get().await.unwrap();
    assert!(matches!(second.try_get().await, Err(Error::Empty)));

    // Keep extending one lease while the other expires; the second handle
    // then receives the expired one, and only that one.
    let redelivered = loop {
        assert!(first.extend_lease(kept.id()).await.unwrap());
        match tokio::time::timeout(Duration::from_millis(100), second.get()).await {
            Ok(delivery) => break delivery.unwrap(),
            Err(_) => continue,
        }
    };
    assert_eq!(redelivered.id(), lost.id());
    assert_eq!(*redelivered, 1);
    // The first handle's lease of it is gone; its late ack still finishes
    // the item (at least once), and the second's then acknowledges nothing.
    assert!(!first.extend_lease(lost.id()).await.unwrap());
    assert!(first.task_done(lost.id()).await.unwrap());
    assert!(!second.task_done(redelivered.id()).await.unwrap());
    assert!(first.task_done(kept.id()).await.unwrap());
    second.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_guard_acknowledges_and_wakes_join() {
    let server = RedisServer::start();
    let queue: RedisQueue<u32> = open(&server, "guard", 0).await;
    let other: RedisQueue<u32> = open(&server, "guard", 0).await;
    queue.put(1).await.unwrap();
    let guard = queue.get_guarded().await.unwrap();
    assert_eq!(*guard, 1);
    let joiner = tokio::spawn(async move { other.join().await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!joiner.is_finished(), "join waits for the delivered item");
    drop(guard);
    tokio::time::timeout(Duration::from_secs(30), joiner)
        .await
        .expect("the drop's acknowledgement woke join")
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_seen_by_every_handle() {
    let server = RedisServer::start();
    let a: RedisQueue<u32> = open(&server, "shutdown", 0).await;
    let b: RedisQueue<u32> = open(&server, "shutdown", 0).await;
    a.put(1).await.unwrap();
    let idle: RedisQueue<u32> = open(&server, "shutdown", 0).await;
    let first = b.get().await.unwrap();
    let waiting_getter = tokio::spawn(async move { idle.get().await.map(|d| d.into_inner()) });
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.put(2).await.unwrap();
    assert_eq!(waiting_getter.await.unwrap().unwrap(), 2);

    a.put(3).await.unwrap();
    assert!(b.shutdown().await.unwrap());
    assert!(!a.shutdown().await.unwrap());
    assert!(a.is_shutdown().await.unwrap());
    // Puts hand their item back; gets drain, then end.
    let err = a.put(4).await.unwrap_err();
    assert!(matches!(err.error(), Error::ShutDown));
    assert_eq!(err.into_inner(), 4);
    assert_eq!(*a.get().await.unwrap(), 3);
    assert!(matches!(a.get().await, Err(Error::ShutDown)));
    assert!(matches!(b.try_get().await, Err(Error::ShutDown)));
    // Delivered items can still be finished; join still counts them.
    assert_eq!(a.unfinished().await.unwrap(), 3);
    b.task_done(first.id()).await.unwrap();
}

/// `reopen`'s documented example: a queue shut down by one run is open
/// again for the next, for every handle, and its items are untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_clears_the_shutdown_for_every_handle() {
    let server = RedisServer::start();
    let queue: RedisQueue<u32> = open(&server, "nightly", 0).await;
    let other: RedisQueue<u32> = open(&server, "nightly", 0).await;
    queue.put(7).await.unwrap();
    queue.put(8).await.unwrap();
    let delivered = queue.get().await.unwrap();
    queue.shutdown().await.unwrap();
    assert!(matches!(
        queue.put(1).await.map_err(|e| e.into_parts().0),
        Err(Error::ShutDown)
    ));
    assert!(queue.reopen().await.unwrap());
    assert!(!other.is_shutdown().await.unwrap());
    other.put(1).await.unwrap();
    assert!(!queue.reopen().await.unwrap(), "it was open");
    // What was waiting or delivered before is still there.
    assert_eq!(queue.unfinished().await.unwrap(), 3);
    assert_eq!(*other.get().await.unwrap(), 8);
    queue.task_done(delivered.id()).await.unwrap();
    // A get on the open, drained queue waits again instead of failing.
    assert_eq!(*other.get().await.unwrap(), 1);
    assert!(matches!(other.try_get().await, Err(Error::Empty)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_immediate_hands_back_the_waiting_items_and_wakes_getters() {
    let server = RedisServer::start();
    let a: RedisQueue<u32> = open(&server, "immediate", 0).await;
    let b: RedisQueue<u32> = open(&server, "immediate", 0).await;
    for n in 0..5 {
        a.put(n).await.unwrap();
    }
    let held = b.get().await.unwrap();
    let left: Vec<u32> = a
        .shutdown_immediate()
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(left, [1, 2, 3, 4]);
    assert!(matches!(b.get().await, Err(Error::ShutDown)));
    assert_eq!(a.unfinished().await.unwrap(), 1);
    b.task_done(held.id()).await.unwrap();
    a.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_entry_is_an_error_for_that_item_only() {
    let server = RedisServer::start();
    let queue: RedisQueue<Job> = open(&server, "malformed", 0).await;
    queue.put(job(1)).await.unwrap();
    // Someone else writes to the stream with redis-cli.
    let id = server.cli(&["XADD", "ak:q:{malformed}:s", "*", "v", "{not json"]);
    let id = id.trim();
    let other = server.cli(&["XADD", "ak:q:{malformed}:s", "*", "other", "{\"n\":9}"]);
    queue.put(job(2)).await.unwrap();

    assert_eq!(queue.get().await.unwrap().n, 1);
    let err = queue.get().await.unwrap_err();
    let Error::Decode(decode) = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(decode.id(), id);
    assert_eq!(decode.raw(), b"{not json");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot decode entry {id}: ")),
        "{err}"
    );
    // An entry without the `v` field is handed over as its first value.
    let err = queue.get().await.unwrap_err();
    let Error::Decode(missing_field) = err else {
        panic!("expected a decode error");
    };
    assert_eq!(missing_field.id(), other.trim());
    assert_eq!(missing_field.raw(), b"{\"n\":9}");
    // The queue goes on, and the bad entries can be acknowledged.
    assert_eq!(queue.get().await.unwrap().n, 2);
    assert!(queue.task_done(decode.id()).await.unwrap());
    assert_eq!(queue.unfinished().await.unwrap(), 3);
}

#[tokio::test]
async fn an_item_serde_json_refuses_is_handed_back() {
    use std::collections::HashMap;
    let server = RedisServer::start();
    let queue: RedisQueue<HashMap<(u8, u8), u8>> = open(&server, "encode", 0).await;
    let item = HashMap::from([((1, 2), 3)]);
    let err = queue.put(item.clone()).await.unwrap_err();
    assert!(matches!(err.error(), Error::Encode(_)));
    assert!(err.to_string().starts_with("cannot encode item: "));
    assert_eq!(err.into_inner(), item);
    assert_eq!(queue.unfinished().await.unwrap(), 0);
}

#[tokio::test]
async fn a_key_of_another_type_is_a_redis_error() {
    let server = RedisServer::start();
    server.cli(&["SET", "ak:q:{taken}:s", "a string"]);
    let redis = Redis::connect(&server.url()).await.unwrap();
    let err = RedisQueue::<u32>::open(&redis, "taken").await.unwrap_err();
    assert!(matches!(err, Error::Redis(_)), "{err:?}");
    assert!(err.to_string().starts_with("redis error: "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_respect_capacity_order_and_bad_entries() {
    let server = RedisServer::start();
    let producer: RedisQueue<u32> = open(&server, "batches", 4).await;
    let consumer: RedisQueue<u32> = open(&server, "batches", 4).await;
    assert!(consumer.get_many(0).await.unwrap().is_empty());

    // Ten items through a capacity of four: put_many fills, waits, refills.
    let putter = tokio::spawn({
        let producer = producer.clone();
        async move {
            producer
                .put_many(0..10)
                .await
                .map_err(|err| err.into_inner())
        }
    });
    let mut got = Vec::new();
    while got.len() < 10 {
        let batch = consumer.get_many(3).await.unwrap();
        assert!(!batch.is_empty() && batch.len() <= 3);
        assert!(consumer.len().await.unwrap() <= 4);
        let batch: Vec<_> = batch.into_iter().map(Result::unwrap).collect();
        let ids: Vec<&str> = batch.iter().map(|d| d.id()).collect();
        assert_eq!(consumer.task_done_many(&ids).await.unwrap(), ids.len());
        got.extend(batch.into_iter().map(|d| d.into_inner()));
    }
    putter.await.unwrap().unwrap();
    assert_eq!(got, (0..10).collect::<Vec<_>>());

    // A malformed entry is one error inside the batch.
    producer.put(10).await.unwrap();
    server.cli(&["XADD", "ak:q:{batches}:s", "*", "v", "oops"]);
    producer.put(11).await.unwrap();
    let batch = consumer.get_many(10).await.unwrap();
    assert_eq!(batch.len(), 3);
    assert_eq!(**batch[0].as_ref().unwrap(), 10);
    assert_eq!(batch[1].as_ref().unwrap_err().raw(), b"oops");
    assert_eq!(**batch[2].as_ref().unwrap(), 11);

    // After shutdown, the items not put are handed back in order.
    producer.shutdown().await.unwrap();
    let err = producer.put_many([20, 21]).await.unwrap_err();
    assert!(matches!(err.error(), Error::ShutDown));
    assert_eq!(err.into_inner(), [20, 21]);
    assert!(matches!(consumer.get_many(5).await, Err(Error::ShutDown)));
}

/// The example of `RedisQueue`'s docs, run: four guarded workers, ten puts,
/// `join`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_worker_example_runs() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisQueue<String> = RedisQueue::builder("urls")
        .capacity(64)
        .open(&redis)
        .await
        .unwrap();
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    for worker in 0..4 {
        let queue = queue.clone();
        let seen_tx = seen_tx.clone();
        tokio::spawn(async move {
            while let Ok(url) = queue.get_guarded().await {
                seen_tx.send((worker, url.clone())).unwrap();
            }
        });
    }
    drop(seen_tx);
    for i in 0..10 {
        queue
            .put(format!("http://127.0.0.1:3000/aio?{i}"))
            .await
            .unwrap();
    }
    tokio::time::timeout(Duration::from_secs(30), queue.join())
        .await
        .expect("join returned")
        .unwrap();
    let mut urls = Vec::new();
    while let Ok((_, url)) = seen_rx.try_recv() {
        urls.push(url);
    }
    urls.sort();
    let mut expected: Vec<_> = (0..10)
        .map(|i| format!("http://127.0.0.1:3000/aio?{i}"))
        .collect();
    expected.sort();
    assert_eq!(urls, expected);
    queue.shutdown().await.unwrap();
}
