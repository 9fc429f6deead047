//! `RedisQueue` against the loop a redis-rs user would write by hand on the
//! same structure (a stream with a consumer group: `XADD`, `XREADGROUP
//! COUNT 1`, then `XACK` + `XDEL` pipelined: three round trips, as ours),
//! one item at a time; and our batches (`put_many` / `get_many` /
//! `task_done_many`, 100 items) against our own one-at-a-time figure; and
//! `RedisPriorityQueue` one at a time against `RedisQueue`'s. One
//! client on loopback, to a redis-server this benchmark starts with
//! persistence off (`--save '' --appendonly no`). Round trips per operation
//! are counted, not timed, in `async-kit-redis/tests/redis_round_trips.rs`.
//!
//! Scaling: 1, 2 and 4 consumer *processes* (this binary run again as
//! children) draining one queue item by item (`get` + `task_done`), timed
//! from the producer's `put_many` to its `join`.
//!
//! `cargo bench -p async-kit-benches --bench redis`

mod harness;

#[path = "../async-kit-redis/tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use async_kit_redis::{Redis, RedisPriorityQueue, RedisQueue};
use harness::{Case, compare, runtimes};
use redis::aio::MultiplexedConnection;
use redis::streams::StreamReadReply;
use support::RedisServer;

const BATCH: u64 = 100;

/// One put + get + task_done of ours, `iters` times.
async fn ours_one_at_a_time(queue: &RedisQueue<u64>, iters: u64) -> Duration {
    let start = Instant::now();
    for n in 0..iters {
        queue.put(n).await.unwrap();
        let delivery = queue.get().await.unwrap();
        queue.task_done(delivery.id()).await.unwrap();
    }
    start.elapsed()
}

/// One put + get + task_done on a priority queue (priorities cycling
/// over 0..8), `iters` times.
async fn priority_one_at_a_time(queue: &RedisPriorityQueue<u64>, iters: u64) -> Duration {
    let start = Instant::now();
    for n in 0..iters {
        queue.put((n % 8) as i64, n).await.unwrap();
        let delivery = queue.get().await.unwrap();
        queue.task_done(delivery.id()).await.unwrap();
    }
    start.elapsed()
}

/// `iters` items in batches of `BATCH`.
async fn ours_batched(queue: &RedisQueue<u64>, iters: u64) -> Duration {
    let start = Instant::now();
    let mut done = 0;
    while done < iters {
        let n = BATCH.min(iters - done);
        queue.put_many(done..done + n).await.unwrap();
        let mut got = 0;
        while got < n {
            let batch = queue.get_many((n - got) as usize).await.unwrap();
            let ids: Vec<&str> = batch.iter().map(|d| d.as_ref().unwrap().id()).collect();
            queue.task_done_many(&ids).await.unwrap();
            got += ids.len() as u64;
        }
        done += n;
    }
    start.elapsed()
}

/// The hand-written loop on a stream `hand` with group `g`.
async fn by_hand(conn: &mut MultiplexedConnection, iters: u64) -> Duration {
    let start = Instant::now();
    for n in 0..iters {
        let payload = serde_json::to_vec(&n).unwrap();
        let _: String = redis::cmd("XADD")
            .arg("hand")
            .arg("*")
            .arg("v")
            .arg(payload)
            .query_async(conn)
            .await
            .unwrap();
        let reply: StreamReadReply = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg("g")
            .arg("c")
            .arg("COUNT")
            .arg(1)
            .arg("STREAMS")
            .arg("hand")
            .arg(">")
            .query_async(conn)
            .await
            .unwrap();
        let entry = &reply.keys[0].ids[0];
        let raw: Vec<u8> = entry.get("v").unwrap();
        let item: u64 = serde_json::from_slice(&raw).unwrap();
        std::hint::black_box(item);
        let _: (u64, u64) = redis::pipe()
            .cmd("XACK")
            .arg("hand")
            .arg("g")
            .arg(&entry.id)
            .cmd("XDEL")
            .arg("hand")
            .arg(&entry.id)
            .query_async(conn)
            .await
            .unwrap();
    }
    start.elapsed()
}

/// The environment variables a consumer child reads.
const ROLE: &str = "ASYNC_KIT_BENCH_REDIS_ROLE";
const URL: &str = "ASYNC_KIT_BENCH_REDIS_URL";
const QUEUE: &str = "ASYNC_KIT_BENCH_REDIS_QUEUE";

/// A consumer process: says it is ready, then gets and acknowledges items
/// one at a time until the queue shuts down.
fn consumer() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = std::env::var(URL).unwrap();
        let name = std::env::var(QUEUE).unwrap();
        let redis = Redis::connect(&url).await.unwrap();
        let queue: RedisQueue<u64> = RedisQueue::open(&redis, &name).await.unwrap();
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let _: u64 = redis::cmd("INCR")
            .arg(format!("{name}:ready"))
            .query_async(&mut conn)
            .await
            .unwrap();
        loop {
            match queue.get().await {
                Ok(delivery) => {
                    queue.task_done(delivery.id()).await.unwrap();
                }
                Err(async_kit_redis::Error::ShutDown) => return,
                Err(err) => panic!("consumer: {err}"),
            }
        }
    });
}

/// Starts `consumers` consumer processes on a fresh queue, waits until
/// they are ready, then times `put_many` of `items` and `join`.
fn drain_with(url: &str, round: &mut u64, consumers: usize, items: u64) -> Duration {
    *round += 1;
    let name = format!("scale-{consumers}-{round}");
    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<std::process::Child> = (0..consumers)
        .map(|_| {
            std::process::Command::new(&exe)
                .env(ROLE, "consumer")
                .env(URL, url)
                .env(QUEUE, &name)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let elapsed = rt.block_on(async {
        let redis = Redis::connect(url).await.unwrap();
        let queue: RedisQueue<u64> = RedisQueue::open(&redis, &name).await.unwrap();
        let client = redis::Client::open(url).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        // Bounded wait for every consumer to be connected and waiting.
        for _ in 0..3_000 {
            let ready: Option<usize> = redis::cmd("GET")
                .arg(format!("{name}:ready"))
                .query_async(&mut conn)
                .await
                .unwrap();
            if ready == Some(consumers) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let start = Instant::now();
        queue.put_many(0..items).await.unwrap();
        queue.join().await.unwrap();
        let elapsed = start.elapsed();
        queue.shutdown().await.unwrap();
        elapsed
    });
    for child in &mut children {
        assert!(child.wait().unwrap().success(), "a consumer failed");
    }
    elapsed
}

fn scaling(url: &str) {
    let items = if harness::quick() { 2_000 } else { 10_000 };
    let mut round = 0;
    let round = std::cell::RefCell::new(&mut round);
    let cases = [1, 2, 4].map(|consumers| {
        let round = &round;
        Case::batch(
            format!(
                "{consumers} consumer process{}",
                if consumers == 1 { "" } else { "es" }
            ),
            items,
            move || drain_with(url, &mut round.borrow_mut(), consumers, items),
        )
    });
    compare(
        "redis queue get+task_done, consumer processes",
        cases.into_iter().rev().collect(),
    );
}

fn main() {
    if std::env::var_os(ROLE).is_some() {
        consumer();
        return;
    }
    let server = RedisServer::start();
    let url = server.url();
    scaling(&url);
    for (flavor, rt) in runtimes() {
        let (queue, batched, ranked, mut conn) = rt.block_on(async {
            let redis = Redis::connect(&url).await.unwrap();
            let queue: RedisQueue<u64> = RedisQueue::open(&redis, &format!("one-{flavor}"))
                .await
                .unwrap();
            let batched: RedisQueue<u64> = RedisQueue::open(&redis, &format!("batch-{flavor}"))
                .await
                .unwrap();
            let ranked: RedisPriorityQueue<u64> =
                RedisPriorityQueue::open(&redis, &format!("ranked-{flavor}"))
                    .await
                    .unwrap();
            let client = redis::Client::open(url.as_str()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            let _: redis::RedisResult<()> = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg("hand")
                .arg("g")
                .arg("0")
                .arg("MKSTREAM")
                .query_async(&mut conn)
                .await;
            (queue, batched, ranked, conn)
        });
        compare(
            &format!("redis queue put+get+task_done one at a time [{flavor}]"),
            vec![
                Case::iter("RedisQueue", |iters| {
                    rt.block_on(ours_one_at_a_time(&queue, iters))
                }),
                Case::iter("hand-written redis-rs", |iters| {
                    rt.block_on(by_hand(&mut conn, iters))
                }),
            ],
        );
        compare(
            &format!("redis priority queue put+get+task_done one at a time [{flavor}]"),
            vec![
                Case::iter("RedisPriorityQueue", |iters| {
                    rt.block_on(priority_one_at_a_time(&ranked, iters))
                }),
                Case::iter("RedisQueue", |iters| {
                    rt.block_on(ours_one_at_a_time(&queue, iters))
                }),
            ],
        );
        compare(
            &format!("redis queue batches of {BATCH} [{flavor}]"),
            vec![
                Case::iter("put_many/get_many/task_done_many", |iters| {
                    rt.block_on(ours_batched(&batched, iters))
                }),
                Case::iter("RedisQueue one at a time", |iters| {
                    rt.block_on(ours_one_at_a_time(&queue, iters))
                }),
            ],
        );
    }
}
