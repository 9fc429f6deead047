//! `WorkQueue`: the same generic producer/consumer code run on the
//! in-process `Queue` and on `RedisQueue` (a real redis-server), with the
//! same results.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use async_kit::Queue;
use async_kit_redis::{Error, Redis, RedisQueue, WorkQueue};
use serde::{Deserialize, Serialize};
use support::RedisServer;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Job {
    n: u32,
    url: String,
}

/// How many jobs each run moves.
const JOBS: u32 = 200;

/// What a consumer did: the jobs it handled, and how it marked each done.
#[derive(Debug, Default)]
struct Handled {
    jobs: Vec<Job>,
}

/// Takes jobs until the queue is shut down; marks every other job done
/// explicitly and lets the guard of the rest mark it on drop, so both ways
/// count for `join`.
async fn consume<Q: WorkQueue<Job>>(queue: Q) -> Result<Handled, Error> {
    let mut handled = Handled::default();
    loop {
        match queue.get().await {
            Ok(job) => {
                handled.jobs.push((*job).clone());
                if job.n % 2 == 0 {
                    queue.task_done(job).await?;
                } else {
                    drop(job);
                }
            }
            Err(Error::ShutDown) => return Ok(handled),
            Err(err) => return Err(err),
        }
    }
}

/// Puts every job, waits for all of them to be done, then shuts down.
async fn produce<Q: WorkQueue<Job>>(queue: Q) -> Result<(), Error> {
    for n in 0..JOBS {
        let job = Job {
            n,
            url: format!("http://127.0.0.1:3000/aio?{n}"),
        };
        queue.put(job).await.map_err(|err| err.into_parts().0)?;
    }
    queue.join().await?;
    assert_eq!(queue.len().await?, 0, "join returned with jobs waiting");
    assert!(queue.is_empty().await?);
    assert!(queue.shutdown().await?, "the producer shuts the queue down");
    Ok(())
}

/// Runs one producer and three consumers on `queue`; returns how many
/// times each job was handled.
async fn run<Q: WorkQueue<Job>>(queue: Q) -> BTreeMap<Job, usize> {
    // Spawned, so the generic futures must be `Send` on a multi-threaded
    // runtime.
    let consumers: Vec<_> = (0..3)
        .map(|_| tokio::spawn(consume(queue.clone())))
        .collect();
    tokio::spawn(produce(queue.clone()))
        .await
        .expect("the producer panicked")
        .expect("the producer failed");
    let mut counts = BTreeMap::new();
    for consumer in consumers {
        let handled = consumer.await.expect("a consumer panicked").unwrap();
        for job in handled.jobs {
            *counts.entry(job).or_insert(0) += 1;
        }
    }
    // A second shutdown reports that it was already done.
    assert!(!queue.shutdown().await.unwrap());
    counts
}

fn expected() -> BTreeMap<Job, usize> {
    (0..JOBS)
        .map(|n| {
            let job = Job {
                n,
                url: format!("http://127.0.0.1:3000/aio?{n}"),
            };
            (job, 1)
        })
        .collect()
}

async fn redis_queue(server: &RedisServer, name: &str) -> RedisQueue<Job> {
    let redis = Redis::connect(&server.url()).await.unwrap();
    RedisQueue::builder(name)
        .capacity(8)
        .visibility_timeout(Duration::from_secs(30))
        .open(&redis)
        .await
        .unwrap()
}

#[tokio::test]
async fn in_process_current_thread() {
    assert_eq!(run(Queue::bounded(8)).await, expected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_multi_thread() {
    assert_eq!(run(Queue::bounded(8)).await, expected());
}

/// The same function on Redis gives the same result: every job handled
/// exactly once (no fault, and a lease far longer than the run), and the
/// producer's join returned only after the last one was marked done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_multi_thread_same_result() {
    let server = RedisServer::start();
    let queue = redis_queue(&server, "backend-mt").await;
    assert_eq!(run(queue.clone()).await, expected());
    assert_eq!(queue.unfinished().await.unwrap(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn redis_current_thread_same_result() {
    let server = RedisServer::start();
    let queue = redis_queue(&server, "backend-ct").await;
    assert_eq!(run(queue).await, expected());
}

/// Each consumer is a handle of its own (as a process would open it), not a
/// clone of the producer's: the results are still the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_separate_handles_same_result() {
    let server = RedisServer::start();
    let producer = redis_queue(&server, "backend-handles").await;
    let mut consumers = Vec::new();
    for _ in 0..3 {
        let queue = redis_queue(&server, "backend-handles").await;
        consumers.push(tokio::spawn(consume(queue)));
    }
    produce(producer).await.unwrap();
    let mut counts = BTreeMap::new();
    for consumer in consumers {
        for job in consumer.await.unwrap().unwrap().jobs {
            *counts.entry(job).or_insert(0) += 1;
        }
    }
    assert_eq!(counts, expected());
}

/// On both backends a put after shutdown hands the item back with
/// `Error::ShutDown`, and a get fails the same way once drained.
async fn shut_down_behaviour<Q: WorkQueue<u32>>(queue: Q) {
    queue.put(1).await.unwrap();
    assert!(queue.shutdown().await.unwrap());
    let err = queue.put(2).await.unwrap_err();
    assert!(matches!(err.error(), Error::ShutDown));
    assert_eq!(err.into_inner(), 2);
    // What was put before the shutdown is still drained.
    let job = queue.get().await.unwrap();
    assert_eq!(*job, 1);
    queue.task_done(job).await.unwrap();
    assert!(matches!(queue.get().await, Err(Error::ShutDown)));
    queue.join().await.unwrap();
}

#[tokio::test]
async fn shutdown_in_process() {
    shut_down_behaviour(Queue::unbounded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_on_redis() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisQueue<u32> = RedisQueue::open(&redis, "backend-shutdown").await.unwrap();
    shut_down_behaviour(queue).await;
}

/// The `no_run` Redis example of `WorkQueue`'s docs, run against a real
/// server.
#[tokio::test(flavor = "current_thread")]
async fn the_documented_redis_example_runs() {
    let server = RedisServer::start();
    let redis = Redis::connect(&server.url()).await.unwrap();
    let queue: RedisQueue<u32> = RedisQueue::builder("sums")
        .capacity(4)
        .open(&redis)
        .await
        .unwrap();
    WorkQueue::put(&queue, 7)
        .await
        .map_err(|err| err.into_parts().0)
        .unwrap();
    let job = WorkQueue::get(&queue).await.unwrap();
    assert_eq!(*job, 7);
    WorkQueue::task_done(&queue, job).await.unwrap();
    WorkQueue::join(&queue).await.unwrap();
    assert_eq!(queue.unfinished().await.unwrap(), 0);
}
