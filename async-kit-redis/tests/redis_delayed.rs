//! Delayed items of `RedisQueue` (`put_after` / `put_at`) against a real
//! redis-server: due order, capacity, join, shutdown, malformed members
//! and a restart. Redis's clock is wall-clock time, so the delays are short
//! and real; the tests assert order and presence (and read Redis's own
//! `TIME` and stream ids), never an upper bound on elapsed time.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_kit_redis::{Error, Redis, RedisQueue};
use redis::Commands;
use serde::Serialize;
use serde::de::DeserializeOwned;
use support::RedisServer;

/// A guard against a hang, not a timing assertion.
const HANG: Duration = Duration::from_secs(30);

async fn open<T>(server: &RedisServer, name: &str, capacity: usize) -> RedisQueue<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    let redis = Redis::connect(&server.url()).await.unwrap();
    RedisQueue::builder(name)
        .capacity(capacity)
        .visibility_timeout(Duration::from_secs(600))
        .open(&redis)
        .await
        .unwrap()
}

fn delayed_key(name: &str) -> String {
    format!("ak:q:{{{name}}}:d")
}

/// Redis's clock, in unix ms.
fn server_millis(conn: &mut redis::Connection) -> u64 {
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query(conn).unwrap();
    secs * 1000 + micros / 1000
}

/// The delayed set: members and due times (ms), earliest first.
fn delayed(conn: &mut redis::Connection, name: &str) -> Vec<(Vec<u8>, u64)> {
    let members: Vec<(Vec<u8>, f64)> = conn.zrange_withscores(delayed_key(name), 0, -1).unwrap();
    members
        .into_iter()
        .map(|(member, score)| (member, score as u64))
        .collect()
}

/// Waiting items in the stream, as the queue counts them: entries minus
/// those delivered and not acknowledged.
fn waiting(conn: &mut redis::Connection, name: &str) -> i64 {
    let stream = format!("ak:q:{{{name}}}:s");
    let len: i64 = conn.xlen(&stream).unwrap();
    let pending: (i64, redis::Value, redis::Value, redis::Value) = redis::cmd("XPENDING")
        .arg(&stream)
        .arg("ak")
        .query(conn)
        .unwrap();
    len - pending.0
}

/// The ms part of a stream entry id: Redis's clock when it was added.
fn id_millis(id: &str) -> u64 {
    id.split('-').next().unwrap().parse().unwrap()
}

/// Waits (polling Redis's clock, bounded) until it reaches `millis`.
async fn until_server_time(conn: &mut redis::Connection, millis: u64) {
    for _ in 0..1_500 {
        if server_millis(conn) >= millis {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("redis's clock never reached {millis}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_item_is_delivered_once_due_by_the_server_clock() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let queue: RedisQueue<u32> = open(&server, "after", 0).await;
    let before = server_millis(&mut conn);
    queue
        .put_after(Duration::from_millis(300), 1)
        .await
        .unwrap();

    let set = delayed(&mut conn, "after");
    assert_eq!(set.len(), 1);
    let (member, due) = set[0].clone();
    assert!(due >= before + 300, "due {due}, put at {before}");
    assert_eq!(member, b"00000000000000000001:1");

    // Not in the queue yet: an immediate try_get finds nothing, unless the
    // server's clock has already passed the due time (a stalled machine).
    let early = queue.try_get().await;
    let after_try = server_millis(&mut conn);
    match early {
        Err(Error::Empty) => {}
        Ok(delivery) => panic!(
            "delivered {} at {} before its due time {due} (now {after_try})",
            *delivery,
            id_millis(delivery.id())
        ),
        Err(err) => panic!("{err}"),
    }
    if after_try < due {
        assert_eq!(queue.len().await.unwrap(), 0);
    }
    assert_eq!(queue.unfinished().await.unwrap(), 1);

    let delivery = tokio::time::timeout(HANG, queue.get())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*delivery, 1);
    // It entered the stream (the id's ms) no earlier than its due time.
    assert!(id_millis(delivery.id()) >= due);
    assert!(server_millis(&mut conn) >= due);
    assert!(delayed(&mut conn, "after").is_empty());
    assert!(queue.task_done(delivery.id()).await.unwrap());
    queue.join().await.unwrap();
    assert_eq!(queue.unfinished().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_items_come_out_in_due_order_among_immediate_puts() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let queue: RedisQueue<String> = open(&server, "order", 0).await;
    let put_after =
        |ms: u64, item: &str| queue.put_after(Duration::from_millis(ms), item.to_owned());
    put_after(300, "c").await.unwrap();
    put_after(100, "a").await.unwrap();
    queue.put("now".to_owned()).await.unwrap();
    put_after(200, "b").await.unwrap();
    let due_c = delayed(&mut conn, "order")
        .into_iter()
        .find(|(member, _)| member.ends_with(b"\"c\""))
        .unwrap()
        .1;

    for expected in ["now", "a", "b"] {
        let delivery = tokio::time::timeout(HANG, queue.get())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*delivery, expected);
        queue.task_done(delivery.id()).await.unwrap();
    }
    // An item put after `c` is due comes after it, even though nobody got
    // anything in between to move `c` into the stream.
    until_server_time(&mut conn, due_c).await;
    queue.put("after-c".to_owned()).await.unwrap();
    for expected in ["c", "after-c"] {
        let delivery = queue.try_get().await.unwrap();
        assert_eq!(*delivery, expected);
        queue.task_done(delivery.id()).await.unwrap();
    }
    queue.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_at_in_the_past_is_due_now_and_equal_times_keep_put_order() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let queue: RedisQueue<u32> = open(&server, "at", 0).await;
    // Sequence numbers 9, 10, 11: a member order that was not fixed-width
    // would put 10 and 11 before 9.
    let _: () = conn.set("ak:q:{at}:dseq", 8).unwrap();
    let when = UNIX_EPOCH + Duration::from_secs(5);
    for n in [1, 2, 3] {
        queue.put_at(when, n).await.unwrap();
    }
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    queue.put_at(an_hour_ago, 4).await.unwrap();
    assert_eq!(queue.len().await.unwrap(), 4, "due items count as waiting");
    for expected in [1, 2, 3, 4] {
        let delivery = queue.try_get().await.unwrap();
        assert_eq!(*delivery, expected);
        queue.task_done(delivery.id()).await.unwrap();
    }
    assert!(matches!(queue.try_get().await, Err(Error::Empty)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_waits_for_a_delayed_item_to_be_delivered_and_done() {
    let server = RedisServer::start();
    let producer: RedisQueue<u32> = open(&server, "join", 0).await;
    let consumer: RedisQueue<u32> = open(&server, "join", 0).await;
    producer
        .put_after(Duration::from_millis(200), 5)
        .await
        .unwrap();
    assert_eq!(producer.unfinished().await.unwrap(), 1);

    let acked = Arc::new(AtomicBool::new(false));
    let joiner = tokio::spawn({
        let (producer, acked) = (producer.clone(), Arc::clone(&acked));
        async move {
            producer.join().await.unwrap();
            assert!(
                acked.load(Ordering::SeqCst),
                "join returned before task_done"
            );
        }
    });
    let delivery = tokio::time::timeout(HANG, consumer.get())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*delivery, 5);
    assert_eq!(producer.unfinished().await.unwrap(), 1);
    assert!(!joiner.is_finished());
    acked.store(true, Ordering::SeqCst);
    assert!(consumer.task_done(delivery.id()).await.unwrap());
    tokio::time::timeout(HANG, joiner).await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_item_waits_for_room_and_put_after_never_waits() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let queue: RedisQueue<u32> = open(&server, "room", 2).await;
    queue.put(1).await.unwrap();
    queue.put(2).await.unwrap();
    // Full, yet the delayed puts return at once: they are not waiting items.
    queue.put_at(UNIX_EPOCH, 3).await.unwrap();
    queue.put_after(Duration::ZERO, 4).await.unwrap();
    assert_eq!(waiting(&mut conn, "room"), 2);
    assert_eq!(delayed(&mut conn, "room").len(), 2, "due, but no room");
    assert_eq!(queue.len().await.unwrap(), 2);
    assert_eq!(queue.unfinished().await.unwrap(), 4);
    let full = queue.try_put(5).await.unwrap_err();
    assert!(matches!(full.error(), Error::Full));

    for expected in [1, 2, 3, 4] {
        let delivery = queue.get().await.unwrap();
        assert_eq!(*delivery, expected);
        // The get that made room filled it with the next due item, and
        // the stream never holds more than the capacity.
        let left = 4 - i64::from(expected);
        assert_eq!(waiting(&mut conn, "room"), left.min(2));
        assert_eq!(delayed(&mut conn, "room").len() as i64, (left - 2).max(0));
        queue.task_done(delivery.id()).await.unwrap();
    }
    queue.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_immediate_hands_back_the_delayed_items_in_due_order() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let queue: RedisQueue<u32> = open(&server, "stop", 0).await;
    queue.put(1).await.unwrap();
    queue.put_after(Duration::from_secs(10), 2).await.unwrap();
    queue.put_after(Duration::from_secs(5), 3).await.unwrap();
    let far = server_millis(&mut conn) + 20_000;
    let _: () = conn.zadd(delayed_key("stop"), "junk", far).unwrap();
    assert_eq!(queue.unfinished().await.unwrap(), 4);

    let left = queue.shutdown_immediate().await.unwrap();
    assert_eq!(left.len(), 4);
    let items: Vec<u32> = left[..3].iter().map(|r| *r.as_ref().unwrap()).collect();
    assert_eq!(items, [1, 3, 2]);
    let Err(bad) = &left[3] else {
        panic!("the junk member decoded")
    };
    assert_eq!(bad.raw(), b"junk");
    assert!(delayed(&mut conn, "stop").is_empty());
    assert_eq!(queue.unfinished().await.unwrap(), 0);
    queue.join().await.unwrap();

    let err = queue
        .put_after(Duration::from_millis(1), 7)
        .await
        .unwrap_err();
    assert!(matches!(err.error(), Error::ShutDown));
    assert_eq!(err.into_inner(), 7);
    let err = queue.put_at(SystemTime::now(), 8).await.unwrap_err();
    assert!(matches!(err.error(), Error::ShutDown));
    assert_eq!(err.into_inner(), 8);
    assert!(delayed(&mut conn, "stop").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_graceful_shutdown_a_delayed_item_is_still_delivered() {
    let server = RedisServer::start();
    let producer: RedisQueue<u32> = open(&server, "drain", 0).await;
    producer
        .put_after(Duration::from_millis(200), 5)
        .await
        .unwrap();
    assert!(producer.shutdown().await.unwrap());

    // Two getters in other handles: one receives the item when it is due,
    // the other ends with ShutDown once nothing is left (not before).
    let mut getters = Vec::new();
    for _ in 0..2 {
        let consumer: RedisQueue<u32> = open(&server, "drain", 0).await;
        getters.push(tokio::spawn(async move {
            let got = consumer.get().await;
            if let Ok(delivery) = &got {
                consumer.task_done(delivery.id()).await.unwrap();
            }
            got.map(|delivery| *delivery)
        }));
    }
    let mut results = Vec::new();
    for getter in getters {
        results.push(tokio::time::timeout(HANG, getter).await.unwrap().unwrap());
    }
    results.sort_by_key(Result::is_err);
    assert!(matches!(results[0], Ok(5)), "{:?}", results[0]);
    assert!(
        matches!(results[1], Err(Error::ShutDown)),
        "{:?}",
        results[1]
    );
    assert!(matches!(producer.get().await, Err(Error::ShutDown)));
    producer.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_member_is_a_decode_error_and_the_others_still_arrive() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let queue: RedisQueue<u32> = open(&server, "junk", 0).await;
    // Written by someone else: one member not in the queue's format, one
    // in it but whose JSON is broken.
    let key = delayed_key("junk");
    let _: () = conn.zadd(&key, "garbage", 0).unwrap();
    let _: () = conn
        .zadd(&key, "00000000000000000099:{not json", 1)
        .unwrap();
    queue
        .put_at(UNIX_EPOCH + Duration::from_secs(5), 1)
        .await
        .unwrap();
    queue
        .put_after(Duration::from_millis(100), 2)
        .await
        .unwrap();

    for raw in [&b"garbage"[..], b"{not json"] {
        match tokio::time::timeout(HANG, queue.get()).await.unwrap() {
            Err(Error::Decode(err)) => {
                assert_eq!(err.raw(), raw);
                assert!(queue.task_done(err.id()).await.unwrap());
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }
    for expected in [1, 2] {
        let delivery = tokio::time::timeout(HANG, queue.get())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*delivery, expected);
        queue.task_done(delivery.id()).await.unwrap();
    }
    queue.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_item_survives_a_restart_of_redis() {
    let mut server = RedisServer::start_appendonly();
    let mut conn = server.conn();
    let queue: RedisQueue<u32> = open(&server, "durable", 0).await;
    queue
        .put_after(Duration::from_millis(300), 42)
        .await
        .unwrap();
    queue
        .put_after(Duration::from_secs(3600), 43)
        .await
        .unwrap();
    let due = delayed(&mut conn, "durable")[0].1;
    drop(conn);

    tokio::task::block_in_place(|| server.restart());

    // The handle reconnects by itself; calls cut by the restart say so.
    let mut failures = 0;
    let delivery = loop {
        match tokio::time::timeout(HANG, queue.get()).await.unwrap() {
            Ok(delivery) => break delivery,
            Err(err) if err.is_connection() => {
                failures += 1;
                assert!(failures < 1_000, "the client never reconnected: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(err) => panic!("{err}"),
        }
    };
    assert_eq!(*delivery, 42);
    assert!(id_millis(delivery.id()) >= due);
    assert!(queue.task_done(delivery.id()).await.unwrap());
    let mut conn = server.conn();
    assert_eq!(delayed(&mut conn, "durable").len(), 1, "43 is kept too");
    assert_eq!(queue.unfinished().await.unwrap(), 1);
}

/// The examples of `put_after` and `put_at` in the docs, run as written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_examples_run() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();

    let queue: RedisQueue<String> = RedisQueue::open(&redis, "reminders").await.unwrap();
    let later = "later".to_owned();
    queue
        .put_after(Duration::from_millis(300), later)
        .await
        .unwrap();
    queue.put("now".to_owned()).await.unwrap();
    assert_eq!(*queue.get().await.unwrap(), "now");
    assert!(matches!(queue.try_get().await, Err(Error::Empty)));
    assert_eq!(queue.unfinished().await.unwrap(), 2);
    let delivery = tokio::time::timeout(HANG, queue.get())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*delivery, "later");

    let queue: RedisQueue<u32> = RedisQueue::open(&redis, "at").await.unwrap();
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    queue.put_at(an_hour_ago, 1).await.unwrap();
    assert_eq!(*queue.try_get().await.unwrap(), 1);
}

/// The delayed puts can be spawned: their futures are `Send`.
#[test]
fn the_delayed_put_futures_are_send() {
    fn send<F: std::future::Future + Send>(_: F) {}
    fn check(queue: &RedisQueue<u32>) {
        send(queue.put_after(Duration::ZERO, 1));
        send(queue.put_at(UNIX_EPOCH, 1));
    }
    let _ = check;
}
