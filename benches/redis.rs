//! `RedisQueue` against the loop a redis-rs user would write by hand on the
//! same structure (a stream with a consumer group: `XADD`, `XREADGROUP
//! COUNT 1`, then `XACK` + `XDEL` pipelined: three round trips, as ours),
//! one item at a time; and our batches (`put_many` / `get_many` /
//! `task_done_many`, 100 items) against our own one-at-a-time figure. One
//! client on loopback, to a redis-server this benchmark starts with
//! persistence off (`--save '' --appendonly no`). Round trips per operation
//! are counted, not timed, in `async-kit-redis/tests/redis_round_trips.rs`.
//!
//! `cargo bench -p async-kit-benches --bench redis`

mod harness;

#[path = "../async-kit-redis/tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use async_kit_redis::{Redis, RedisQueue};
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

fn main() {
    let server = RedisServer::start();
    let url = server.url();
    for (flavor, rt) in runtimes() {
        let (queue, batched, mut conn) = rt.block_on(async {
            let redis = Redis::connect(&url).await.unwrap();
            let queue: RedisQueue<u64> = RedisQueue::open(&redis, &format!("one-{flavor}"))
                .await
                .unwrap();
            let batched: RedisQueue<u64> = RedisQueue::open(&redis, &format!("batch-{flavor}"))
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
            (queue, batched, conn)
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
