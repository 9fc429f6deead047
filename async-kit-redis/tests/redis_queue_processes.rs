//! `RedisQueue` across real processes: this test binary runs itself as
//! producer and consumer children (see `support::process`), and the checks
//! read Redis with the test's own commands, not the crate's.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use async_kit_redis::{Error, Redis, RedisQueue};
use support::RedisServer;
use support::process::{self, Worker, report, var};

/// Not a test of its own: the entry point of the child processes. Without
/// the role variable (a normal run) it returns at once.
#[test]
fn child_role() {
    let Some(role) = process::role() else {
        return;
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(play(&role));
}

async fn open_from_env() -> RedisQueue<u64> {
    let redis = Redis::connect(&var("AK_URL")).await.unwrap();
    RedisQueue::builder(&var("AK_QUEUE"))
        .capacity(var("AK_CAPACITY").parse().unwrap())
        .visibility_timeout(Duration::from_millis(var("AK_LEASE_MS").parse().unwrap()))
        .open(&redis)
        .await
        .unwrap()
}

async fn play(role: &str) {
    let queue = open_from_env().await;
    match role {
        // Puts AK_FROM..AK_TO, one at a time.
        "producer" => {
            let from: u64 = var("AK_FROM").parse().unwrap();
            let to: u64 = var("AK_TO").parse().unwrap();
            for n in from..to {
                queue.put(n).await.unwrap();
            }
            report("put-done");
        }
        // Puts AK_FROM..AK_TO in batches of 100.
        "batch-producer" => {
            let from: u64 = var("AK_FROM").parse().unwrap();
            let to: u64 = var("AK_TO").parse().unwrap();
            let mut next = from;
            while next < to {
                let end = to.min(next + 100);
                queue.put_many(next..end).await.unwrap();
                next = end;
            }
            report("put-done");
        }
        // Takes batches of up to 50 until shut down, reports each item, then
        // acknowledges the batch in one round trip.
        "batch-consumer" => loop {
            match queue.get_many(50).await {
                Ok(batch) => {
                    let batch: Vec<_> = batch.into_iter().map(Result::unwrap).collect();
                    for delivery in &batch {
                        report(format!("handled {}", **delivery));
                    }
                    let ids: Vec<&str> = batch.iter().map(|d| d.id()).collect();
                    assert_eq!(queue.task_done_many(&ids).await.unwrap(), ids.len());
                }
                Err(Error::ShutDown) => break,
                Err(err) => panic!("consumer: {err}"),
            }
        },
        // Handles items until the queue is shut down; reports each before
        // acknowledging it, as a consumer with effects would.
        "consumer" => loop {
            match queue.get().await {
                Ok(delivery) => {
                    report(format!("handled {}", *delivery));
                    assert!(queue.task_done(delivery.id()).await.is_ok());
                }
                Err(Error::ShutDown) => break,
                Err(err) => panic!("consumer: {err}"),
            }
        },
        // Takes AK_HOLD items and never acknowledges them; waits to be killed.
        "holder" => {
            let hold: usize = var("AK_HOLD").parse().unwrap();
            for _ in 0..hold {
                report(format!("held {}", *queue.get().await.unwrap()));
            }
            report("holding");
            tokio::time::sleep(process::CAP).await;
        }
        // Acknowledges all but the last of AK_COUNT items, then the last one
        // when told to on stdin.
        "acker" => {
            let count: usize = var("AK_COUNT").parse().unwrap();
            let mut deliveries = Vec::new();
            for _ in 0..count {
                deliveries.push(queue.get().await.unwrap());
            }
            let last = deliveries.pop().unwrap();
            for delivery in &deliveries {
                assert!(queue.task_done(delivery.id()).await.unwrap());
            }
            report("acked-all-but-one");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).unwrap();
            assert!(queue.task_done(last.id()).await.unwrap());
            report("acked-last");
        }
        other => panic!("unknown role {other}"),
    }
}

fn vars(
    server: &RedisServer,
    queue: &str,
    capacity: usize,
    lease_ms: u64,
) -> HashMap<&'static str, String> {
    HashMap::from([
        ("AK_URL", server.url()),
        ("AK_QUEUE", queue.to_owned()),
        ("AK_CAPACITY", capacity.to_string()),
        ("AK_LEASE_MS", lease_ms.to_string()),
    ])
}

fn handled(reports: &[String]) -> impl Iterator<Item = u64> + '_ {
    reports
        .iter()
        .filter_map(|line| line.strip_prefix("handled "))
        .map(|n| n.parse().unwrap())
}

async fn open(server: &RedisServer, name: &str) -> RedisQueue<u64> {
    let redis = Redis::connect(&server.url()).await.unwrap();
    RedisQueue::open(&redis, name).await.unwrap()
}

/// Waiting entries, read by the test from Redis in one transaction: the
/// stream's length minus its group's pending entries.
fn waiting_in_redis(conn: &mut redis::Connection, name: &str) -> usize {
    let stream = format!("ak:q:{{{name}}}:s");
    let (len, pending): (usize, (usize, redis::Value, redis::Value, redis::Value)) = redis::pipe()
        .atomic()
        .cmd("XLEN")
        .arg(&stream)
        .cmd("XPENDING")
        .arg(&stream)
        .arg("ak")
        .query(conn)
        .unwrap();
    len - pending.0
}

/// The figure: 4 producer and 4 consumer processes move 100,000
/// items (in batches: `put_many` / `get_many` / `task_done_many`); each is
/// handled, and with no faults exactly once.
const ITEMS: u64 = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_producers_and_four_consumers_move_every_item_exactly_once() {
    let server = RedisServer::start();
    let queue = open(&server, "many").await;
    // A lease far longer than the run: without faults nothing is redelivered.
    let env = vars(&server, "many", 1_000, 600_000);
    // Their reports are read as they come, so no child blocks on a full pipe.
    let consumers: Vec<_> = (0..4)
        .map(|_| tokio::spawn(Worker::spawn("batch-consumer", &env).finish()))
        .collect();
    let producers: Vec<_> = (0..4u64)
        .map(|p| {
            let mut env = env.clone();
            env.insert("AK_FROM", (p * ITEMS / 4).to_string());
            env.insert("AK_TO", ((p + 1) * ITEMS / 4).to_string());
            Worker::spawn("batch-producer", &env)
        })
        .collect();
    for producer in producers {
        assert_eq!(producer.finish().await, ["put-done"]);
    }
    queue.join().await.unwrap();
    assert_eq!(queue.unfinished().await.unwrap(), 0);
    queue.shutdown().await.unwrap();

    let mut seen = vec![0u32; ITEMS as usize];
    let mut per_consumer = Vec::new();
    for consumer in consumers {
        let reports = consumer.await.unwrap();
        let mut count = 0;
        for n in handled(&reports) {
            seen[n as usize] += 1;
            count += 1;
        }
        per_consumer.push(count);
    }
    let missing = seen.iter().filter(|&&c| c == 0).count();
    let duplicated = seen.iter().filter(|&&c| c > 1).count();
    assert_eq!(
        (missing, duplicated),
        (0, 0),
        "per consumer: {per_consumer:?}"
    );
    assert!(
        per_consumer.iter().filter(|&&c| c > 0).count() > 1,
        "the work was shared: {per_consumer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_items_of_a_killed_consumer_are_redelivered_and_finished() {
    let server = RedisServer::start();
    let queue = open(&server, "killed").await;
    for n in 0..20 {
        queue.put(n).await.unwrap();
    }
    let mut env = vars(&server, "killed", 0, 300);
    env.insert("AK_HOLD", "5".to_owned());
    let mut holder = Worker::spawn("holder", &env);
    let held: BTreeSet<u64> = holder
        .wait_for("holding")
        .await
        .iter()
        .map(|line| line.strip_prefix("held ").unwrap().parse().unwrap())
        .collect();
    assert_eq!(held.len(), 5);
    holder.kill_9().await;
    // Redis still counts them delivered to the dead consumer.
    assert_eq!(queue.len().await.unwrap(), 15);
    assert_eq!(queue.unfinished().await.unwrap(), 20);

    let consumers: Vec<_> = (0..2).map(|_| Worker::spawn("consumer", &env)).collect();
    tokio::time::timeout(process::CAP, queue.join())
        .await
        .expect("the held items came back within the cap")
        .unwrap();
    queue.shutdown().await.unwrap();
    let mut all = BTreeSet::new();
    for consumer in consumers {
        all.extend(handled(&consumer.finish().await));
    }
    assert_eq!(all, (0..20).collect());
    assert!(held.is_subset(&all));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_producer_processes_never_exceed_the_capacity() {
    const CAPACITY: usize = 5;
    const PER_PRODUCER: u64 = 30;
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisQueue<u64> = RedisQueue::builder("capacity")
        .capacity(CAPACITY)
        .open(&redis)
        .await
        .unwrap();
    let env = vars(&server, "capacity", CAPACITY, 600_000);
    let producers: Vec<_> = (0..8u64)
        .map(|p| {
            let mut env = env.clone();
            env.insert("AK_FROM", (p * PER_PRODUCER).to_string());
            env.insert("AK_TO", ((p + 1) * PER_PRODUCER).to_string());
            Worker::spawn("producer", &env)
        })
        .collect();

    let mut conn = server.conn();
    let mut peak = 0;
    let mut got = BTreeSet::new();
    while got.len() < 8 * PER_PRODUCER as usize {
        // Several samples between gets, while producers push.
        for _ in 0..3 {
            let waiting = waiting_in_redis(&mut conn, "capacity");
            assert!(
                waiting <= CAPACITY,
                "{waiting} waiting items, capacity {CAPACITY}"
            );
            peak = peak.max(waiting);
        }
        let delivery = tokio::time::timeout(process::CAP, queue.get())
            .await
            .expect("an item within the cap")
            .unwrap();
        assert!(got.insert(*delivery));
        queue.task_done(delivery.id()).await.unwrap();
    }
    for producer in producers {
        assert_eq!(producer.finish().await, ["put-done"]);
    }
    assert_eq!(got, (0..8 * PER_PRODUCER).collect());
    // The producers did fill the queue: the bound was tested, not idle.
    assert_eq!(peak, CAPACITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_returns_only_after_the_last_task_done_in_another_process() {
    let server = RedisServer::start();
    let queue = open(&server, "join").await;
    for n in 0..10 {
        queue.put(n).await.unwrap();
    }
    let mut env = vars(&server, "join", 0, 600_000);
    env.insert("AK_COUNT", "10".to_owned());
    let mut acker = Worker::spawn("acker", &env);
    acker.wait_for("acked-all-but-one").await;

    let joiner = tokio::spawn({
        let queue = queue.clone();
        async move { queue.join().await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !joiner.is_finished(),
        "join returned with an item unfinished"
    );
    assert_eq!(queue.unfinished().await.unwrap(), 1);

    acker.send("go").await;
    tokio::time::timeout(process::CAP, joiner)
        .await
        .expect("the last task_done woke join")
        .unwrap()
        .unwrap();
    assert_eq!(acker.finish().await, ["acked-last"]);
}
