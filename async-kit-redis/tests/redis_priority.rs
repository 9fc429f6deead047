//! `RedisPriorityQueue` against a real redis-server: smallest first, ties
//! first in first out, across handles, capacity, at-least-once delivery,
//! join, both shutdowns and malformed members. Leases run on Redis's wall
//! clock, so the one lease test waits for Redis to report the entry idle
//! and asserts order and presence, never an upper bound on elapsed time.

mod support;

use std::time::{Duration, SystemTime};

use async_kit_redis::{Error, Redis, RedisPriorityQueue, RedisQueue};
use redis::Commands;
use serde::Serialize;
use serde::de::DeserializeOwned;
use support::RedisServer;

/// A guard against a hang, not a timing assertion.
const HANG: Duration = Duration::from_secs(30);

async fn open<T>(server: &RedisServer, name: &str, capacity: usize) -> RedisPriorityQueue<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    open_with(server, name, capacity, Duration::from_secs(600)).await
}

/// A handle on its own connection.
async fn open_with<T>(
    server: &RedisServer,
    name: &str,
    capacity: usize,
    visibility_timeout: Duration,
) -> RedisPriorityQueue<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    let redis = Redis::connect(&server.url()).await.unwrap();
    RedisQueue::builder(name)
        .capacity(capacity)
        .visibility_timeout(visibility_timeout)
        .open_priority(&redis)
        .await
        .unwrap()
}

fn set_key(name: &str) -> String {
    format!("ak:q:{{{name}}}:pq")
}

/// Waiting items as the queue counts them, read from Redis directly: the
/// set's members and the stream's undelivered entries.
fn waiting(conn: &mut redis::Connection, name: &str) -> i64 {
    let stream = format!("ak:q:{{{name}}}:s");
    let members: i64 = conn.zcard(set_key(name)).unwrap();
    let len: i64 = conn.xlen(&stream).unwrap();
    let pending: (i64, redis::Value, redis::Value, redis::Value) = redis::cmd("XPENDING")
        .arg(&stream)
        .arg("ak")
        .query(conn)
        .unwrap();
    members + len - pending.0
}

/// Waits (bounded) until the marker `key` of a waiting caller exists.
async fn until_registered(server: &RedisServer, key: &str) {
    for _ in 0..500 {
        if server.cli(&["EXISTS", key]).trim() == "1" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no waiter registered at {key}");
}

/// A small seeded generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// Gets `n` items, alternating single gets and batches, acknowledging each.
async fn drain<T>(queue: &RedisPriorityQueue<T>, n: usize) -> Vec<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        if out.len() % 2 == 0 {
            let delivery = queue.get().await.unwrap();
            assert!(queue.task_done(delivery.id()).await.unwrap());
            out.push(delivery.into_inner());
        } else {
            let batch = queue.get_many(7.min(n - out.len())).await.unwrap();
            let batch: Vec<_> = batch.into_iter().map(Result::unwrap).collect();
            let ids: Vec<&str> = batch.iter().map(|delivery| delivery.id()).collect();
            assert_eq!(queue.task_done_many(&ids).await.unwrap(), ids.len());
            out.extend(batch.into_iter().map(|delivery| delivery.into_inner()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smallest_first_across_random_priorities() {
    let server = RedisServer::start();
    let queue: RedisPriorityQueue<(i64, usize)> = open(&server, "random", 0).await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut put = Vec::new();
    for index in 0..200 {
        let priority = rng.below(2_000) as i64 - 1_000;
        put.push((priority, index));
    }
    // Half one by one, half in one batch: the same order either way.
    for &(priority, index) in &put[..100] {
        queue.put(priority, (priority, index)).await.unwrap();
    }
    queue
        .put_many(
            put[100..]
                .iter()
                .map(|&(priority, index)| (priority, (priority, index))),
        )
        .await
        .unwrap();
    assert_eq!(queue.len().await.unwrap(), 200);

    let got = drain(&queue, 200).await;
    let mut expected = put.clone();
    expected.sort(); // by priority, then put order
    assert_eq!(got, expected);
    assert!(queue.is_empty().await.unwrap());
    queue.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equal_priorities_come_out_first_in_first_out() {
    let server = RedisServer::start();
    let queue: RedisPriorityQueue<u32> = open(&server, "ties", 0).await;
    // Sequence numbers cross a power of ten: a member order that was not
    // fixed-width would put 10.. before 9.
    let _: () = server.conn().set("ak:q:{ties}:pseq", 5).unwrap();
    let priority = |n: u32| i64::from([2, 0, 1][n as usize % 3]);
    for n in 0..100 {
        queue.put(priority(n), n).await.unwrap();
    }
    let got = drain(&queue, 100).await;
    let mut expected: Vec<u32> = (0..100).collect();
    expected.sort_by_key(|&n| priority(n)); // stable: put order among equals
    assert_eq!(got, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_beyond_one_script_run_keep_the_order() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let queue: RedisPriorityQueue<(i64, u32)> = open(&server, "big", 0).await;
    let mut rng = Rng(2_500);
    let put: Vec<(i64, u32)> = (0..2_500).map(|n| (rng.below(50) as i64 - 25, n)).collect();
    // 2 500 pairs: three runs of the put script (1 000 at most each).
    queue
        .put_many(put.iter().map(|&pair| (pair.0, pair)))
        .await
        .unwrap();
    let members: i64 = conn.zcard(set_key("big")).unwrap();
    assert_eq!(members, 2_500);
    let mut got = Vec::new();
    while got.len() < put.len() {
        let batch = queue.get_many(1_000).await.unwrap();
        let batch: Vec<_> = batch.into_iter().map(Result::unwrap).collect();
        let ids: Vec<&str> = batch.iter().map(|delivery| delivery.id()).collect();
        queue.task_done_many(&ids).await.unwrap();
        got.extend(batch.iter().map(|delivery| **delivery));
    }
    let mut expected = put;
    expected.sort();
    assert_eq!(got, expected);
    queue.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_holds_across_two_handles() {
    let server = RedisServer::start();
    let a: RedisPriorityQueue<(i64, u32)> = open(&server, "two", 0).await;
    let b: RedisPriorityQueue<(i64, u32)> = open(&server, "two", 0).await;
    let mut rng = Rng(42);
    let mut put = Vec::new();
    for n in 0..60 {
        let priority = rng.below(5) as i64;
        let handle = if n % 2 == 0 { &a } else { &b };
        handle.put(priority, (priority, n)).await.unwrap();
        put.push((priority, n));
    }
    put.sort();
    let mut got = Vec::new();
    for n in 0..60 {
        let handle = if n % 3 == 0 { &a } else { &b };
        let delivery = handle.get().await.unwrap();
        got.push(*delivery);
        // Acknowledged by the other handle: the entry is the queue's.
        let other = if n % 3 == 0 { &b } else { &a };
        assert!(other.task_done(delivery.id()).await.unwrap());
    }
    assert_eq!(got, put);
    a.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_counts_the_set_and_a_get_wakes_a_waiting_put() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let a: RedisPriorityQueue<u32> = open(&server, "bounded", 3).await;
    let b: RedisPriorityQueue<u32> = open(&server, "bounded", 3).await;
    assert_eq!(a.capacity(), Some(3));
    a.put(5, 1).await.unwrap();
    b.put(1, 2).await.unwrap();
    a.put(9, 3).await.unwrap();
    assert_eq!(waiting(&mut conn, "bounded"), 3);
    let err = b.try_put(0, 4).await.unwrap_err();
    assert!(matches!(err.error(), Error::Full));
    assert_eq!(err.into_inner(), 4);

    let waiting_put = tokio::spawn({
        let b = b.clone();
        async move { b.put(0, 4).await.map_err(|err| err.into_inner()) }
    });
    until_registered(&server, "ak:q:{bounded}:w:put").await;
    assert!(!waiting_put.is_finished(), "a put into a full queue waits");
    assert_eq!(waiting(&mut conn, "bounded"), 3);

    // A get frees a slot even before its task is done.
    let first = a.get().await.unwrap();
    assert_eq!(*first, 2);
    tokio::time::timeout(HANG, waiting_put)
        .await
        .expect("the get woke the putter")
        .unwrap()
        .unwrap();
    assert_eq!(waiting(&mut conn, "bounded"), 3);
    assert_eq!(a.unfinished().await.unwrap(), 4);
    assert!(a.task_done(first.id()).await.unwrap());

    // Many putters of two handles against one slow getter: never more than
    // the capacity waiting, read from Redis while they run.
    let producers: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .enumerate()
        .map(|(k, queue)| {
            tokio::spawn(async move {
                for n in 0..20u32 {
                    queue.put(i64::from(n % 4), 100 + n).await.unwrap();
                }
                k
            })
        })
        .collect();
    let mut got = Vec::new();
    while got.len() < 43 {
        assert!(waiting(&mut conn, "bounded") <= 3);
        let delivery = tokio::time::timeout(HANG, b.get()).await.unwrap().unwrap();
        assert!(b.task_done(delivery.id()).await.unwrap());
        got.push(delivery.into_inner());
    }
    for producer in producers {
        producer.await.unwrap();
    }
    got.sort_unstable();
    let mut expected: Vec<u32> = [1, 3, 4]
        .into_iter()
        .chain(100..120)
        .chain(100..120)
        .collect();
    expected.sort_unstable();
    assert_eq!(got, expected);
    assert!(matches!(a.try_get().await, Err(Error::Empty)));
    a.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_is_redelivered_to_another_handle_ahead_of_priorities() {
    let server = RedisServer::start();
    let lease = Duration::from_millis(200);
    let first: RedisPriorityQueue<String> = open_with(&server, "lease", 0, lease).await;
    let second: RedisPriorityQueue<String> = open_with(&server, "lease", 0, lease).await;
    first.put(5, "slow".to_owned()).await.unwrap();
    let lost = first.get().await.unwrap();
    assert_eq!(*lost, "slow");
    assert!(first.extend_lease(lost.id()).await.unwrap());
    // Put after the delivery, with a smaller priority.
    first.put(0, "urgent".to_owned()).await.unwrap();

    // Wait until Redis itself reports the delivery idle past its lease.
    let mut conn = server.conn();
    for _ in 0..1_500 {
        let pending: Vec<(String, String, u64, u64)> = redis::cmd("XPENDING")
            .arg("ak:q:{lease}:s")
            .arg("ak")
            .arg("-")
            .arg("+")
            .arg(10)
            .query(&mut conn)
            .unwrap();
        if pending
            .iter()
            .any(|(id, _, idle, _)| id == lost.id() && *idle > 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The redelivery comes first: it is in the stream already.
    let again = tokio::time::timeout(HANG, second.get())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id(), lost.id());
    assert_eq!(*again, "slow");
    let next = second.get().await.unwrap();
    assert_eq!(*next, "urgent");
    assert!(
        !first.extend_lease(lost.id()).await.unwrap(),
        "the lease moved"
    );
    assert!(second.task_done(again.id()).await.unwrap());
    assert!(!first.task_done(lost.id()).await.unwrap(), "done once");
    assert!(second.task_done(next.id()).await.unwrap());
    first.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_waits_for_every_task_done() {
    let server = RedisServer::start();
    let queue: RedisPriorityQueue<u32> = open(&server, "join", 0).await;
    let joiner_handle: RedisPriorityQueue<u32> = open(&server, "join", 0).await;
    queue.put_many([(2, 2), (1, 1), (3, 3)]).await.unwrap();
    let joiner = tokio::spawn(async move { joiner_handle.join().await });
    until_registered(&server, "ak:q:{join}:w:join").await;

    let one = queue.get_guarded().await.unwrap();
    let two = queue.get().await.unwrap();
    let three = queue.get().await.unwrap();
    assert_eq!((*one, *two, *three), (1, 2, 3));
    assert!(one.done().await.unwrap());
    assert!(queue.task_done(two.id()).await.unwrap());
    assert_eq!(queue.unfinished().await.unwrap(), 1);
    assert!(!joiner.is_finished(), "one item is still unfinished");
    assert!(queue.task_done(three.id()).await.unwrap());
    tokio::time::timeout(HANG, joiner)
        .await
        .expect("the last task_done woke join")
        .unwrap()
        .unwrap();
    assert_eq!(queue.unfinished().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_immediate_hands_back_the_waiting_items_smallest_first() {
    let server = RedisServer::start();
    let queue: RedisPriorityQueue<(i64, u32)> = open(&server, "now", 0).await;
    let mut rng = Rng(7);
    let mut put = Vec::new();
    for n in 0..30 {
        let priority = rng.below(4) as i64;
        put.push((priority, n));
    }
    queue
        .put_many(put.iter().map(|&(priority, n)| (priority, (priority, n))))
        .await
        .unwrap();
    put.sort();
    let held = queue.get().await.unwrap();
    assert_eq!(*held, put[0]);

    let left: Vec<(i64, u32)> = queue
        .shutdown_immediate()
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(left, put[1..]);
    assert!(queue.is_shutdown().await.unwrap());
    let mut conn = server.conn();
    assert_eq!(waiting(&mut conn, "now"), 0);
    let err = queue.put(0, (0, 99)).await.unwrap_err();
    assert!(matches!(err.error(), Error::ShutDown));
    assert_eq!(err.into_inner(), (0, 99));
    assert!(matches!(queue.get().await, Err(Error::ShutDown)));
    // The delivered item is still unfinished until acknowledged.
    assert_eq!(queue.unfinished().await.unwrap(), 1);
    assert!(queue.task_done(held.id()).await.unwrap());
    queue.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_drains_then_ends_getters() {
    let server = RedisServer::start();
    let queue: RedisPriorityQueue<u32> = open(&server, "drain", 0).await;
    let other: RedisPriorityQueue<u32> = open(&server, "drain", 0).await;
    // A getter already waiting on the empty queue ends at the shutdown.
    let idle = tokio::spawn({
        let other = other.clone();
        async move { other.get().await.map(|delivery| delivery.into_inner()) }
    });
    until_registered(&server, "ak:q:{drain}:w:get").await;
    assert!(queue.shutdown().await.unwrap());
    assert!(!other.shutdown().await.unwrap(), "already shut down");
    assert!(matches!(
        tokio::time::timeout(HANG, idle).await.unwrap().unwrap(),
        Err(Error::ShutDown)
    ));

    let queue: RedisPriorityQueue<u32> = open(&server, "drain-items", 0).await;
    queue
        .put_many([(3, 30), (1, 10), (2, 20), (1, 11)])
        .await
        .unwrap();
    queue.shutdown().await.unwrap();
    let mut got = Vec::new();
    loop {
        match queue.get().await {
            Ok(delivery) => {
                queue.task_done(delivery.id()).await.unwrap();
                got.push(delivery.into_inner());
            }
            Err(Error::ShutDown) => break,
            Err(err) => panic!("{err}"),
        }
    }
    assert_eq!(got, [10, 11, 20, 30]);
    queue.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_member_is_an_error_for_that_item_only() {
    let server = RedisServer::start();
    let queue: RedisPriorityQueue<u32> = open(&server, "malformed", 0).await;
    queue.put(0, 1).await.unwrap();
    queue.put(3, 4).await.unwrap();
    // Someone else writes to the set with redis-cli: a member without a
    // sequence number, and one whose JSON is broken.
    server.cli(&["ZADD", "ak:q:{malformed}:pq", "1", "garbage"]);
    server.cli(&[
        "ZADD",
        "ak:q:{malformed}:pq",
        "2",
        "00000000000000000099:{bad",
    ]);

    assert_eq!(*queue.get().await.unwrap(), 1);
    let err = queue.get().await.unwrap_err();
    let Error::Decode(garbage) = err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(garbage.raw(), b"garbage");
    let batch = queue.get_many(10).await.unwrap();
    assert_eq!(batch.len(), 2);
    let bad = batch[0].as_ref().unwrap_err();
    assert_eq!(bad.raw(), b"{bad");
    let four = batch[1].as_ref().unwrap();
    assert_eq!(**four, 4);
    // The bad entries are delivered entries like any: acknowledged by id.
    assert!(queue.task_done(garbage.id()).await.unwrap());
    assert!(queue.task_done(bad.id()).await.unwrap());
    assert_eq!(queue.unfinished().await.unwrap(), 2);

    // In shutdown_immediate a bad member is one error among the items.
    queue.put(1, 7).await.unwrap();
    server.cli(&["ZADD", "ak:q:{malformed}:pq", "0", "junk"]);
    let left = queue.shutdown_immediate().await.unwrap();
    assert_eq!(left.len(), 2);
    let junk = left[0].as_ref().unwrap_err();
    assert_eq!((junk.id(), junk.raw()), ("", &b"junk"[..]));
    assert_eq!(left[1].as_ref().unwrap(), &7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priorities_are_exact_up_to_two_to_the_53() {
    let server = RedisServer::start();
    let queue: RedisPriorityQueue<i64> = open(&server, "range", 0).await;
    let max = RedisPriorityQueue::<i64>::MAX_PRIORITY;
    for priority in [max, max - 1, -max, -max + 1, 0] {
        queue.put(priority, priority).await.unwrap();
    }
    for priority in [max + 1, -max - 1, i64::MIN, i64::MAX] {
        let err = queue.put(priority, priority).await.unwrap_err();
        assert!(matches!(err.error(), Error::PriorityOutOfRange(p) if *p == priority));
        assert_eq!(err.into_inner(), priority);
        let err = queue.try_put(priority, priority).await.unwrap_err();
        assert!(matches!(err.error(), Error::PriorityOutOfRange(_)));
    }
    // One bad priority refuses the whole batch, handing every pair back.
    let err = queue.put_many([(1, 1), (max + 1, 2)]).await.unwrap_err();
    assert!(matches!(err.error(), Error::PriorityOutOfRange(p) if *p == max + 1));
    assert_eq!(err.into_inner(), [(1, 1), (max + 1, 2)]);
    assert_eq!(queue.len().await.unwrap(), 5);
    assert_eq!(drain(&queue, 5).await, [-max, -max + 1, 0, max - 1, max]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_the_plain_open_work() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "plain").await.unwrap();
    assert_eq!(queue.name(), "plain");
    assert_eq!(queue.capacity(), None);
    assert!(format!("{queue:?}").starts_with("RedisPriorityQueue { name: \"plain\""));
    assert!(matches!(queue.try_get().await, Err(Error::Empty)));
    queue.put(1, 2).await.unwrap();
    queue.try_put(0, 1).await.unwrap();
    assert!(!queue.is_empty().await.unwrap());
    assert_eq!(*queue.try_get().await.unwrap(), 1);
    // A FIFO handle of another name shares nothing with it.
    let fifo: RedisQueue<u32> = RedisQueue::open(&redis, "plain-fifo").await.unwrap();
    assert!(fifo.is_empty().await.unwrap());
    assert_eq!(queue.len().await.unwrap(), 1);
}

/// Redis's clock, in unix ms.
fn server_millis(conn: &mut redis::Connection) -> u64 {
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query(conn).unwrap();
    secs * 1000 + micros / 1000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_delayed_item_enters_with_its_priority_behind_equals() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let queue: RedisPriorityQueue<String> = open(&server, "delayed", 0).await;
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let put = |priority: i64, item: &str| queue.put(priority, item.to_owned());
    put(5, "five").await.unwrap();
    put(1, "one").await.unwrap();
    // Due at once, priority 1: behind "one", ahead of "one, later", which
    // is put after it became due.
    queue
        .put_at(an_hour_ago, 1, "one, delayed".to_owned())
        .await
        .unwrap();
    let before = server_millis(&mut conn);
    queue
        .put_after(Duration::from_millis(300), 0, "zero, later".to_owned())
        .await
        .unwrap();
    let delayed: Vec<(Vec<u8>, f64)> = conn.zrange_withscores("ak:q:{delayed}:d", 0, -1).unwrap();
    assert_eq!(delayed.len(), 2);
    let (member, due) = &delayed[1];
    assert_eq!(member, b"00000000000000000002:0:\"zero, later\"");
    let due = *due as u64;
    assert!(due >= before + 300, "due {due}, put at {before}");
    assert_eq!(queue.unfinished().await.unwrap(), 4);
    put(1, "one, later").await.unwrap();
    // A malformed delayed member reaches a getter as raw bytes.
    server.cli(&[
        "ZADD",
        "ak:q:{delayed}:d",
        "0",
        "00000000000000000009:no priority",
    ]);

    let mut got = Vec::new();
    for _ in 0..4 {
        match queue.get().await {
            Ok(delivery) => {
                queue.task_done(delivery.id()).await.unwrap();
                got.push(delivery.into_inner());
            }
            Err(Error::Decode(bad)) => {
                assert_eq!(bad.raw(), b"no priority");
                queue.task_done(bad.id()).await.unwrap();
                got.push("<bad>".to_owned());
            }
            Err(err) => panic!("{err}"),
        }
    }
    // The bad member went straight to the stream, ahead of the set.
    assert_eq!(got, ["<bad>", "one", "one, delayed", "one, later"]);
    // Not waiting before it is due (unless Redis's clock already passed
    // the due time: a stalled machine); once due it comes before "five".
    let len = queue.len().await.unwrap();
    if server_millis(&mut conn) < due {
        assert_eq!(len, 1, "only \"five\" waits");
    }
    for _ in 0..1_500 {
        if server_millis(&mut conn) >= due {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(queue.len().await.unwrap(), 2);
    let zero = queue.get().await.unwrap();
    assert_eq!(*zero, "zero, later");
    queue.task_done(zero.id()).await.unwrap();
    let last = queue.get().await.unwrap();
    assert_eq!(*last, "five");
    queue.task_done(last.id()).await.unwrap();
    queue.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_delayed_item_waits_for_room_and_shutdown_hands_delayed_items_back() {
    let server = RedisServer::start();
    let mut conn = server.conn();
    let queue: RedisPriorityQueue<u32> = open(&server, "room", 2).await;
    queue.put(1, 1).await.unwrap();
    queue.put(2, 2).await.unwrap();
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    queue.put_at(an_hour_ago, 0, 0).await.unwrap();
    queue.put_at(an_hour_ago, 0, 10).await.unwrap();
    // Due, but no room: still in the delayed set.
    assert_eq!(waiting(&mut conn, "room"), 2);
    assert_eq!(queue.len().await.unwrap(), 2);
    assert!(matches!(
        queue.try_put(0, 3).await.unwrap_err().error(),
        Error::Full
    ));

    // The get takes "1" and fills the room it made with the first due item.
    let first = queue.get().await.unwrap();
    assert_eq!(*first, 1);
    assert_eq!(waiting(&mut conn, "room"), 2);
    let second = queue.get().await.unwrap();
    assert_eq!(*second, 0, "the due item entered with priority 0");
    assert_eq!(waiting(&mut conn, "room"), 2);

    queue
        .put_after(Duration::from_secs(3600), -5, 99)
        .await
        .unwrap();
    let left: Vec<u32> = queue
        .shutdown_immediate()
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    // Waiting smallest first, then the delayed ones in due order.
    assert_eq!(left, [10, 2, 99]);
    assert_eq!(queue.unfinished().await.unwrap(), 2);
    let err = queue.put_after(Duration::ZERO, 0, 7).await.unwrap_err();
    assert!(matches!(err.error(), Error::ShutDown));
    let err = queue
        .put_at(an_hour_ago, RedisPriorityQueue::<u32>::MAX_PRIORITY + 1, 8)
        .await
        .unwrap_err();
    assert!(matches!(err.error(), Error::PriorityOutOfRange(_)));
    assert_eq!(err.into_inner(), 8);
    queue
        .task_done_many(&[first.id(), second.id()])
        .await
        .unwrap();
    queue.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_still_delivers_delayed_items_when_due() {
    let server = RedisServer::start();
    let queue: RedisPriorityQueue<u32> = open(&server, "late", 0).await;
    queue
        .put_after(Duration::from_millis(200), 3, 3)
        .await
        .unwrap();
    queue.put(4, 4).await.unwrap();
    queue.shutdown().await.unwrap();
    let mut got = Vec::new();
    loop {
        match tokio::time::timeout(HANG, queue.get()).await.unwrap() {
            Ok(delivery) => {
                queue.task_done(delivery.id()).await.unwrap();
                got.push(delivery.into_inner());
            }
            Err(Error::ShutDown) => break,
            Err(err) => panic!("{err}"),
        }
    }
    // "4" was waiting; "3" came when due, and only then did getters end.
    assert_eq!(got, [4, 3]);
    queue.join().await.unwrap();
}

/// The `no_run` examples of the docs, on the test's server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_examples_run() -> Result<(), Error> {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await?;

    // RedisPriorityQueue
    let queue: RedisPriorityQueue<String> = RedisPriorityQueue::open(&redis, "triage").await?;
    queue
        .put(5, "routine".to_owned())
        .await
        .map_err(|err| err.into_parts().0)?;
    queue
        .put(1, "urgent".to_owned())
        .await
        .map_err(|err| err.into_parts().0)?;
    queue
        .put(5, "routine, later".to_owned())
        .await
        .map_err(|err| err.into_parts().0)?;
    let mut order = Vec::new();
    for _ in 0..3 {
        let job = queue.get_guarded().await?;
        order.push(job.clone());
    }
    assert_eq!(order, ["urgent", "routine", "routine, later"]);
    tokio::time::timeout(HANG, queue.join()).await.unwrap()?;

    // RedisQueueBuilder::open_priority
    let queue: RedisPriorityQueue<String> = RedisQueue::builder("urgent-first")
        .capacity(100)
        .visibility_timeout(Duration::from_secs(60))
        .open_priority(&redis)
        .await?;
    assert_eq!(queue.capacity(), Some(100));

    // put
    let queue: RedisPriorityQueue<u8> = RedisPriorityQueue::open(&redis, "put").await?;
    queue.put(2, b'b').await.map_err(|err| err.into_parts().0)?;
    queue.put(1, b'a').await.map_err(|err| err.into_parts().0)?;
    assert_eq!(queue.len().await?, 2);
    let err = queue.put(i64::MAX, b'z').await.unwrap_err();
    assert!(matches!(err.error(), Error::PriorityOutOfRange(i64::MAX)));
    assert_eq!(err.into_inner(), b'z');

    // try_get
    let queue: RedisPriorityQueue<u8> = RedisPriorityQueue::open(&redis, "try-ranked").await?;
    assert!(matches!(queue.try_get().await, Err(Error::Empty)));
    queue.put(3, 30).await.map_err(|err| err.into_parts().0)?;
    queue.put(-1, 10).await.map_err(|err| err.into_parts().0)?;
    assert_eq!(*queue.try_get().await?, 10);

    // extend_lease
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "long-ranked").await?;
    queue.put(0, 1).await.map_err(|err| err.into_parts().0)?;
    let job = queue.get().await?;
    assert!(queue.extend_lease(job.id()).await?);
    queue.task_done(job.id()).await?;
    assert!(!queue.extend_lease(job.id()).await?);

    // unfinished, is_empty, name
    let queue: RedisPriorityQueue<u32> =
        RedisPriorityQueue::open(&redis, "unfinished-ranked").await?;
    queue.put(1, 1).await.map_err(|err| err.into_parts().0)?;
    queue.put(2, 2).await.map_err(|err| err.into_parts().0)?;
    let _job = queue.get().await?;
    assert_eq!((queue.len().await?, queue.unfinished().await?), (1, 2));
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "empty-ranked").await?;
    assert!(queue.is_empty().await?);
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "jobs-ranked").await?;
    assert_eq!(queue.name(), "jobs-ranked");

    // shutdown
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "closing-ranked").await?;
    queue.put(1, 1).await.map_err(|err| err.into_parts().0)?;
    assert!(queue.shutdown().await?);
    assert!(queue.is_shutdown().await?);
    assert_eq!(*queue.get().await?, 1);
    assert!(matches!(queue.get().await, Err(Error::ShutDown)));

    // reopen
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "nightly-triage").await?;
    queue.shutdown().await?;
    assert!(queue.reopen().await?);
    queue.put(1, 7).await.map_err(|err| err.into_parts().0)?;
    assert!(!queue.is_shutdown().await?);
    assert_eq!(*queue.try_get().await?, 7);

    // try_put
    let queue = RedisQueue::<u8>::builder("tiny-ranked")
        .capacity(1)
        .open_priority(&redis)
        .await?;
    queue
        .try_put(9, 1)
        .await
        .map_err(|err| err.into_parts().0)?;
    let err = queue.try_put(0, 2).await.unwrap_err();
    assert!(matches!(err.error(), Error::Full));
    assert_eq!(err.into_inner(), 2);

    // put_many
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "ranked-batch").await?;
    queue
        .put_many((1..=100).map(|n| (i64::from(n % 10), n)))
        .await
        .map_err(|err| err.into_parts().0)?;
    let batch = queue.get_many(3).await?;
    let items: Vec<u32> = batch.iter().map(|d| **d.as_ref().unwrap()).collect();
    assert_eq!(items, [10, 20, 30]);
    let ids: Vec<&str> = batch.iter().map(|d| d.as_ref().unwrap().id()).collect();
    assert_eq!(queue.task_done_many(&ids).await?, 3);

    // join
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "join-ranked").await?;
    queue.put(1, 7).await.map_err(|err| err.into_parts().0)?;
    let worker = queue.clone();
    tokio::spawn(async move {
        let job = worker.get().await?;
        worker.task_done(job.id()).await
    });
    tokio::time::timeout(HANG, queue.join()).await.unwrap()?;
    assert_eq!(queue.unfinished().await?, 0);

    // put_after
    let queue: RedisPriorityQueue<String> = RedisPriorityQueue::open(&redis, "retries").await?;
    let retry = "retry, urgent".to_owned();
    queue
        .put_after(Duration::from_secs(1), 0, retry)
        .await
        .map_err(|err| err.into_parts().0)?;
    queue
        .put(5, "routine".to_owned())
        .await
        .map_err(|err| err.into_parts().0)?;
    assert_eq!(*queue.get().await?, "routine");
    assert!(matches!(queue.try_get().await, Err(Error::Empty)));
    assert_eq!(queue.unfinished().await?, 2);
    assert_eq!(
        *tokio::time::timeout(HANG, queue.get()).await.unwrap()?,
        "retry, urgent"
    );

    // put_at
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "ranked-at").await?;
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    queue.put(2, 20).await.map_err(|err| err.into_parts().0)?;
    queue
        .put_at(an_hour_ago, 1, 10)
        .await
        .map_err(|err| err.into_parts().0)?;
    assert_eq!(*queue.try_get().await?, 10);

    // shutdown_immediate
    let queue: RedisPriorityQueue<u32> = RedisPriorityQueue::open(&redis, "stop-ranked").await?;
    queue
        .put_many([(3, 30), (1, 10), (2, 20)])
        .await
        .map_err(|err| err.into_parts().0)?;
    let left: Vec<u32> = queue
        .shutdown_immediate()
        .await?
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(left, [10, 20, 30]);
    queue.join().await?;
    Ok(())
}

fn send_sync_unpin<T: Send + Sync + Unpin>() {}

fn send<T: Send>(_: &T) {}

/// Compiles only if every future of the queue is `Send`.
fn futures_are_send(redis: &Redis, queue: &RedisPriorityQueue<u32>) {
    send(&RedisPriorityQueue::<u32>::open(redis, "x"));
    send(&queue.put(0, 1));
    send(&queue.try_put(0, 1));
    send(&queue.put_many([(0, 1)]));
    send(&queue.get());
    send(&queue.try_get());
    send(&queue.get_many(2));
    send(&queue.get_guarded());
    send(&queue.task_done("0-1"));
    send(&queue.join());
    send(&queue.shutdown_immediate());
}

#[test]
fn handles_and_futures_are_send_and_sync() {
    send_sync_unpin::<RedisPriorityQueue<u32>>();
    send_sync_unpin::<async_kit_redis::RedisQueueBuilder<u32>>();
    let _: fn(&Redis, &RedisPriorityQueue<u32>) = futures_are_send;
}
