//! Round trips per operation, counted by Redis itself (`INFO
//! commandstats`): every hot-path operation is one script run, so the
//! scripts run (`EVALSHA`, or `EVAL` after a script cache flush) are the
//! round trips. Round trips, not milliseconds, carry over to a real network.

mod support;

use std::time::Duration;

use async_kit_redis::{Redis, RedisLimiter, RedisPriorityQueue, RedisQueue};
use support::RedisServer;

/// Resets Redis's counters.
fn reset(server: &RedisServer) {
    server.cli(&["CONFIG", "RESETSTAT"]);
}

/// The calls of each command since the last reset, from `INFO commandstats`.
fn calls(server: &RedisServer) -> Vec<(String, u64)> {
    server
        .cli(&["INFO", "commandstats"])
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("cmdstat_")?;
            let (name, stats) = rest.split_once(':')?;
            let calls = stats.strip_prefix("calls=")?.split(',').next()?;
            Some((name.to_owned(), calls.parse().ok()?))
        })
        .collect()
}

/// The commands the crate's scripts run inside Redis (the queues', the
/// priority queue's, the delayed items' and the limiter's): counted by
/// `INFO commandstats`, but no round trip of their own.
const INSIDE_SCRIPTS: &[&str] = &[
    "exists",
    "get",
    "incr",
    "incrby",
    "pexpire",
    "pttl",
    "publish",
    "set",
    "time",
    "xack",
    "xadd",
    "xautoclaim",
    "xdel",
    "xlen",
    "xpending",
    "xreadgroup",
    "zadd",
    "zcard",
    "zpopmin",
    "zrange",
    "zrangebyscore",
    "zrem",
    "zremrangebyscore",
    "zscore",
];

/// Script runs sent by clients, and every other command except the ones
/// the scripts run inside and the test's own `INFO` and `CONFIG`.
fn round_trips(server: &RedisServer) -> (u64, Vec<(String, u64)>) {
    let mut scripts = 0;
    let mut others = Vec::new();
    for (name, count) in calls(server) {
        match name.as_str() {
            "evalsha" | "eval" => scripts += count,
            "info" | "config|resetstat" => {}
            name if INSIDE_SCRIPTS.contains(&name) => {}
            _ => others.push((name, count)),
        }
    }
    (scripts, others)
}

const N: u64 = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_get_task_done_is_three_round_trips() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisQueue<u64> = RedisQueue::builder("trips")
        .capacity(1_000)
        .visibility_timeout(Duration::from_secs(600))
        .open(&redis)
        .await
        .unwrap();
    // Loads the scripts into the server's cache.
    queue.put(0).await.unwrap();
    let warm = queue.get().await.unwrap();
    queue.task_done(warm.id()).await.unwrap();

    reset(&server);
    for n in 0..N {
        queue.put(n).await.unwrap();
        let delivery = queue.get().await.unwrap();
        assert!(queue.task_done(delivery.id()).await.unwrap());
    }
    let (scripts, others) = round_trips(&server);
    assert_eq!(scripts, 3 * N, "script runs for {N} put + get + task_done");
    assert!(others.is_empty(), "other commands sent: {others:?}");
    assert_eq!(count(&server, "publish"), 0, "nobody waited, so no event");
}

/// The work inside those three script runs, for an unbounded queue nobody
/// waits on: each script probes the keys that are usually absent (the
/// shutdown flag, the delayed set, the waiters' markers) with one `EXISTS`,
/// so an item costs seven commands inside Redis (a hand-written loop sends
/// four: `XADD`, `XREADGROUP`, `XACK`, `XDEL`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_path_runs_seven_commands_inside_redis() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisQueue<u64> = RedisQueue::open(&redis, "inside").await.unwrap();
    queue.put(0).await.unwrap();
    let warm = queue.get().await.unwrap();
    queue.task_done(warm.id()).await.unwrap();

    reset(&server);
    for n in 0..N {
        queue.put(n).await.unwrap();
        let delivery = queue.get().await.unwrap();
        assert!(queue.task_done(delivery.id()).await.unwrap());
    }
    let mut inside: Vec<(String, u64)> = calls(&server)
        .into_iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "evalsha" | "eval" | "info" | "config|resetstat"
            )
        })
        .collect();
    inside.sort();
    let expected: Vec<(String, u64)> = [
        ("exists", 3 * N),
        ("xack", N),
        ("xadd", N),
        ("xdel", N),
        ("xreadgroup", N),
    ]
    .into_iter()
    .map(|(name, calls)| (name.to_owned(), calls))
    .collect();
    assert_eq!(inside, expected);
}

/// The calls of one command since the last reset.
fn count(server: &RedisServer, command: &str) -> u64 {
    calls(server)
        .into_iter()
        .find(|(name, _)| name == command)
        .map_or(0, |(_, calls)| calls)
}

/// Waits (bounded) until the marker of a waiting caller exists in Redis.
async fn until_registered(server: &RedisServer, key: &str) {
    for _ in 0..500 {
        if server.cli(&["EXISTS", key]).trim() == "1" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no waiter registered at {key}");
}

/// Events are published for waiters only, and then one per wake-up: a
/// waiting getter gets one `p`, a waiting putter one `s`, a joiner one `d`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_published_only_when_someone_waits() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let open = || {
        RedisQueue::<u64>::builder("events")
            .capacity(1)
            .visibility_timeout(Duration::from_secs(600))
            .open(&redis)
    };
    let (producer, consumer) = (open().await.unwrap(), open().await.unwrap());

    // A getter waits on an empty queue; one put wakes it with one event.
    let getter = tokio::spawn({
        let consumer = consumer.clone();
        async move { consumer.get().await.unwrap() }
    });
    until_registered(&server, "ak:q:{events}:w:get").await;
    reset(&server);
    producer.put(1).await.unwrap();
    let delivery = getter.await.unwrap();
    assert_eq!(*delivery, 1);
    assert_eq!(
        count(&server, "publish"),
        1,
        "one event for the waiting getter"
    );

    // A joiner waits for the delivered item; its acknowledgement publishes.
    let joiner = tokio::spawn({
        let producer = producer.clone();
        async move { producer.join().await.unwrap() }
    });
    until_registered(&server, "ak:q:{events}:w:join").await;
    reset(&server);
    assert!(consumer.task_done(delivery.id()).await.unwrap());
    joiner.await.unwrap();
    assert_eq!(count(&server, "publish"), 1, "one event for the joiner");

    // A putter waits on a full queue (capacity 1); one get makes room.
    producer.put(2).await.unwrap();
    let putter = tokio::spawn({
        let producer = producer.clone();
        async move { producer.put(3).await.unwrap() }
    });
    until_registered(&server, "ak:q:{events}:w:put").await;
    reset(&server);
    let two = consumer.get().await.unwrap();
    putter.await.unwrap();
    assert_eq!(*two, 2);
    assert!(
        count(&server, "publish") >= 1,
        "the waiting putter was told"
    );
    assert_eq!(*consumer.get().await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_of_a_hundred_are_three_round_trips() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisQueue<u64> = RedisQueue::open(&redis, "batch-trips").await.unwrap();
    queue.put_many([0]).await.unwrap();
    let warm = queue.get_many(1).await.unwrap();
    queue
        .task_done_many(&[warm[0].as_ref().unwrap().id()])
        .await
        .unwrap();

    reset(&server);
    queue.put_many(0..100).await.unwrap();
    let batch = queue.get_many(100).await.unwrap();
    let ids: Vec<&str> = batch.iter().map(|d| d.as_ref().unwrap().id()).collect();
    assert_eq!(queue.task_done_many(&ids).await.unwrap(), 100);
    let (scripts, others) = round_trips(&server);
    assert_eq!(scripts, 3, "100 items put, got and acknowledged");
    assert!(others.is_empty(), "other commands sent: {others:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uncontended_acquire_and_release_is_two_round_trips() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let limiter = RedisLimiter::open(&redis, "trips", 1).await.unwrap();
    limiter.acquire().await.unwrap().release().await.unwrap();

    reset(&server);
    for _ in 0..N {
        let permit = limiter.acquire().await.unwrap();
        assert!(permit.release().await.unwrap());
    }
    let (scripts, others) = round_trips(&server);
    assert_eq!(scripts, 2 * N, "script runs for {N} acquire + release");
    assert!(others.is_empty(), "other commands sent: {others:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_put_is_one_round_trip_and_a_get_stays_one() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisQueue<u64> = RedisQueue::builder("delayed-trips")
        .capacity(1_000)
        .visibility_timeout(Duration::from_secs(600))
        .open(&redis)
        .await
        .unwrap();
    queue.put_after(Duration::ZERO, 0).await.unwrap();
    let warm = queue.get().await.unwrap();
    queue.task_done(warm.id()).await.unwrap();

    reset(&server);
    for n in 0..N {
        queue.put_after(Duration::ZERO, n).await.unwrap();
    }
    let (scripts, others) = round_trips(&server);
    assert_eq!(scripts, N, "script runs for {N} put_after");
    assert!(others.is_empty(), "other commands sent: {others:?}");

    // Due items are moved into the stream by the get that finds them.
    reset(&server);
    for n in 0..N {
        let delivery = queue.get().await.unwrap();
        assert_eq!(*delivery, n);
        assert!(queue.task_done(delivery.id()).await.unwrap());
    }
    let (scripts, others) = round_trips(&server);
    assert_eq!(scripts, 2 * N, "script runs for {N} get + task_done");
    assert!(others.is_empty(), "other commands sent: {others:?}");
    assert_eq!(count(&server, "publish"), 0, "nobody waited, so no event");
}

/// A getter waiting for a delayed item sleeps until it is due, not in a
/// polling loop; a delayed put while it waits tells it (one event), so it
/// looks at an earlier due time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_getter_waits_for_the_due_time_and_hears_of_earlier_ones() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisQueue<u64> = RedisQueue::builder("delayed-wait")
        .visibility_timeout(Duration::from_secs(600))
        .open(&redis)
        .await
        .unwrap();
    queue.put_after(Duration::ZERO, 0).await.unwrap();
    let warm = queue.get().await.unwrap();
    queue.task_done(warm.id()).await.unwrap();

    reset(&server);
    queue
        .put_after(Duration::from_millis(300), 1)
        .await
        .unwrap();
    let delivery = queue.get().await.unwrap();
    assert_eq!(*delivery, 1);
    queue.task_done(delivery.id()).await.unwrap();
    let (scripts, _) = round_trips(&server);
    // put_after, task_done, and the gets: one that found it not due, then
    // one at its due time (one more if the clocks differ by a millisecond).
    assert!(scripts <= 5, "{scripts} script runs: the getter polled");

    let getter = tokio::spawn({
        let queue = queue.clone();
        async move { queue.get().await.unwrap() }
    });
    queue.put_after(Duration::from_secs(3600), 2).await.unwrap();
    until_registered(&server, "ak:q:{delayed-wait}:w:get").await;
    reset(&server);
    queue
        .put_after(Duration::from_millis(100), 3)
        .await
        .unwrap();
    assert_eq!(*getter.await.unwrap(), 3);
    assert_eq!(count(&server, "publish"), 1, "one event for the getter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_priority_put_get_task_done_is_three_round_trips() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisPriorityQueue<u64> = RedisQueue::builder("priority-trips")
        .capacity(1_000)
        .visibility_timeout(Duration::from_secs(600))
        .open_priority(&redis)
        .await
        .unwrap();
    queue.put(0, 0).await.unwrap();
    queue.put_after(Duration::ZERO, 0, 0).await.unwrap();
    for warm in queue.get_many(2).await.unwrap() {
        queue.task_done(warm.unwrap().id()).await.unwrap();
    }

    // Two waiting at a time, so each get has a choice to make.
    reset(&server);
    queue.put(i64::MAX >> 11, u64::MAX).await.unwrap();
    for n in 0..N {
        queue.put(-(n as i64), n).await.unwrap();
        let delivery = queue.get().await.unwrap();
        assert_eq!(*delivery, n, "the smaller priority first");
        assert!(queue.task_done(delivery.id()).await.unwrap());
    }
    let (scripts, others) = round_trips(&server);
    assert_eq!(
        scripts,
        1 + 3 * N,
        "script runs for {N} put + get + task_done"
    );
    assert!(others.is_empty(), "other commands sent: {others:?}");
    assert_eq!(count(&server, "publish"), 0, "nobody waited, so no event");

    // Batches stay one round trip each.
    reset(&server);
    queue
        .put_many((0..100).map(|n| (n, n as u64)))
        .await
        .unwrap();
    let batch = queue.get_many(100).await.unwrap();
    let ids: Vec<&str> = batch.iter().map(|d| d.as_ref().unwrap().id()).collect();
    assert_eq!(queue.task_done_many(&ids).await.unwrap(), 100);
    let (scripts, others) = round_trips(&server);
    assert_eq!(scripts, 3, "100 items put, got and acknowledged");
    assert!(others.is_empty(), "other commands sent: {others:?}");

    // A delayed put is one run; the get that finds it due moves it into the
    // set and out to the stream in its one run.
    reset(&server);
    for n in 0..N {
        queue.put_after(Duration::ZERO, 0, n).await.unwrap();
        let delivery = queue.get().await.unwrap();
        assert_eq!(*delivery, n);
        assert!(queue.task_done(delivery.id()).await.unwrap());
    }
    let (scripts, others) = round_trips(&server);
    assert_eq!(
        scripts,
        3 * N,
        "script runs for {N} put_after + get + task_done"
    );
    assert!(others.is_empty(), "other commands sent: {others:?}");
}
