//! Producer/consumer fetching through a work queue, with `task_done` /
//! `join`, in one process or across several on Redis.
//!
//! Recreates the tutorial's "dynamic tasks, improved" (asyncio.Queue): a
//! producer puts URLs on a bounded queue, a fixed set of workers fetch them,
//! and the producer waits with `join` until every URL has been handled, then
//! shuts the queue down so the workers stop.
//!
//! The producer and the workers are written once, against the
//! [`WorkQueue`] trait (`async_kit_examples::fetch_queue`), so the same code
//! runs on either backend:
//!
//! - Without `--redis`, everything runs in this process on an
//!   [`async_kit::Queue`]: `cargo run --example fetch_queue -- -n 20 -k 4`.
//!   Without `--url`, it starts the `/aio` server in-process on a free port,
//!   with delays of tens of milliseconds, and exits in about a second.
//! - With `--redis redis://127.0.0.1:6379`, each process plays one `--role`
//!   on an [`async_kit_redis::RedisQueue`] named by `--queue`: start workers
//!   (`--role worker -k 4`) in some terminals and one producer (`--role
//!   producer -n 20 --shutdown`) in another. The producer's `join` returns
//!   once the workers of every process have marked every fetch done; with
//!   `--shutdown` it then shuts the queue down and the workers exit. Redis
//!   delivers each job at least once: a worker killed mid-fetch has its job
//!   fetched again by another after the visibility timeout (30 s).

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::process::ExitCode;
use std::time::Instant;

use async_kit::Queue;
use async_kit_examples::aio;
use async_kit_examples::cli::{
    Args, parse_positive, parse_queue_name, parse_range, parse_redis_url, parse_url,
};
use async_kit_examples::fetch;
use async_kit_examples::fetch_queue::{self, Job, Role, Worked};
use async_kit_redis::{Error, Redis, RedisQueue, WorkQueue};
use lexopt::prelude::*;

const USAGE: &str = "\
usage: fetch_queue [--url http://127.0.0.1:3000/aio] [-n 20] [-k 4]
                   [--capacity 8] [--delay 20..120]
       fetch_queue --redis redis://127.0.0.1:6379 --role producer
                   [--queue fetch_queue] [--url URL] [-n 20] [--capacity 8]
                   [--delay 20..120] [--shutdown] [--reopen]
       fetch_queue --redis redis://127.0.0.1:6379 --role worker
                   [--queue fetch_queue] [-k 4]

Puts n fetches of the URL on a bounded queue of the given capacity; k
workers take them and fetch. The producer waits until every fetch is done
(join). Without --url, the producer serves /aio in-process (on 127.0.0.1)
with the given delays in milliseconds (--delay is refused with --url).

Without --redis, producer and workers run in this process, the queue is
shut down after join, and the exit status is 1 if any fetch failed.

With --redis, each process plays one --role on the Redis queue named by
--queue. The producer puts the jobs (--capacity bounds the waiting ones
across all processes), waits for every worker's task_done, and with
--shutdown then shuts the queue down so that the workers exit; without it
they keep waiting for more work. The shutdown stays in Redis: --reopen
clears an earlier run's before putting. A worker runs k fetchers until the queue
is shut down, and exits 1 if any of its fetches failed. Each job is
delivered at least once: one whose worker died is fetched again by another.
An unreachable Redis exits 1.";

/// The default `--queue`.
const QUEUE: &str = "fetch_queue";

/// The command line, each flag `None` unless given, so that flags which do
/// not apply to the chosen mode can be refused.
#[derive(Default)]
struct Flags {
    url: Option<String>,
    n: Option<usize>,
    k: Option<usize>,
    capacity: Option<usize>,
    delay: Option<RangeInclusive<u64>>,
    redis: Option<String>,
    role: Option<Role>,
    queue: Option<String>,
    shutdown: bool,
    reopen: bool,
}

impl Flags {
    fn parse() -> Flags {
        let mut flags = Flags::default();
        let mut args = Args::from_env(USAGE);
        while let Some(arg) = args.next_flag() {
            match arg {
                Long("url") => flags.url = Some(args.value_with(parse_url)),
                Short('n') => flags.n = Some(args.value()),
                Short('k') => flags.k = Some(args.value_with(parse_positive)),
                Long("capacity") => flags.capacity = Some(args.value_with(parse_positive)),
                Long("delay") => flags.delay = Some(args.value_with(parse_range)),
                Long("redis") => flags.redis = Some(args.value_with(parse_redis_url)),
                Long("role") => flags.role = Some(args.value_with(Role::parse)),
                Long("queue") => flags.queue = Some(args.value_with(parse_queue_name)),
                Long("shutdown") => flags.shutdown = true,
                Long("reopen") => flags.reopen = true,
                other => {
                    let err = other.unexpected();
                    args.fail(err)
                }
            }
        }
        if flags.url.is_some() && flags.delay.is_some() {
            args.fail("--delay sets the in-process server's delays: it has no effect with --url");
        }
        if let Some(problem) = flags.misplaced() {
            args.fail(problem)
        }
        flags
    }

    /// Says which flag does not apply to the mode or role chosen, if any.
    fn misplaced(&self) -> Option<String> {
        let Some(redis) = &self.redis else {
            return if self.role.is_some() {
                Some("--role needs --redis: without it one process plays both roles".into())
            } else if self.queue.is_some() {
                Some("--queue names a Redis queue: it needs --redis".into())
            } else if self.shutdown {
                Some(
                    "--shutdown needs --redis: in one process the queue is always shut down after join"
                        .into(),
                )
            } else if self.reopen {
                Some("--reopen clears a Redis queue's shutdown: it needs --redis".into())
            } else {
                None
            };
        };
        match self.role {
            None => Some(format!(
                "--redis {redis} needs --role producer or --role worker"
            )),
            Some(Role::Producer) => self.k.is_some().then(|| {
                "-k sets a worker's fetchers: give it to the --role worker processes".into()
            }),
            Some(Role::Worker) => {
                let producer_only = [
                    ("-n", self.n.is_some()),
                    ("--url", self.url.is_some()),
                    ("--delay", self.delay.is_some()),
                    ("--capacity", self.capacity.is_some()),
                    ("--shutdown", self.shutdown),
                    ("--reopen", self.reopen),
                ];
                producer_only
                    .iter()
                    .find(|(_, given)| *given)
                    .map(|(flag, _)| {
                        format!(
                            "{flag} applies to the producer: a worker takes the URL and the count from the jobs on the queue"
                        )
                    })
            }
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<ExitCode> {
    let flags = Flags::parse();
    let (n, capacity) = (flags.n.unwrap_or(20), flags.capacity.unwrap_or(8));
    let delay = flags.delay.clone().unwrap_or(20..=120);
    let Some(redis_url) = &flags.redis else {
        return in_process(flags.url, n, flags.k.unwrap_or(4), capacity, delay).await;
    };
    // Connecting first: a wrong URL fails at once, and the error names it.
    let redis = match Redis::connect(redis_url).await {
        Ok(redis) => redis,
        Err(err) => return Ok(failed(redis_url, &err)),
    };
    let name = flags.queue.as_deref().unwrap_or(QUEUE);
    match flags.role {
        Some(Role::Producer) => {
            let ending = Ending {
                reopen: flags.reopen,
                shutdown: flags.shutdown,
            };
            produce(&redis, name, flags.url, n, capacity, delay, ending).await
        }
        Some(Role::Worker) => Ok(work(&redis, name, flags.k.unwrap_or(4)).await),
        None => unreachable!("Flags::parse refuses --redis without --role"),
    }
}

/// Producer and workers in this process, on an in-process [`Queue`].
async fn in_process(
    url: Option<String>,
    n: usize,
    k: usize,
    capacity: usize,
    delay: RangeInclusive<u64>,
) -> std::io::Result<ExitCode> {
    // Without a URL, the tutorial's /aio server runs in this process.
    // Keeps the in-process server (if any) alive until the end.
    let (url, server) = aio::url_or_spawn(url, delay).await?;
    let unit = fetch::delay_unit(server.is_some());
    println!("fetch_queue: {n} fetches of {url}, {k} workers, queue capacity {capacity}");

    // The queue is bounded, so the producer can never run far ahead of the
    // workers. Each worker is one fetcher of its own, so that its share of
    // the work can be reported.
    let jobs: Queue<Job> = Queue::bounded(capacity);
    let client = reqwest::Client::new();
    let start = Instant::now();
    let workers: Vec<_> = (0..k)
        .map(|worker| {
            let label = format!("worker {worker}");
            tokio::spawn(fetch_queue::work(jobs.clone(), client.clone(), 1, label))
        })
        .collect();

    // `put` waits while the queue is full; every URL put has been fetched
    // once `join` (the end of `produce`) returns.
    fetch_queue::produce(&jobs, &url, n)
        .await
        .expect("in process only a shut-down queue fails, and it is shut down after join");
    let took = start.elapsed();
    // Python 3.13's shutdown: the workers' next `get` fails and they return.
    jobs.shutdown();
    let mut per_worker: BTreeMap<usize, Worked> = BTreeMap::new();
    for (worker, handle) in workers.into_iter().enumerate() {
        per_worker.insert(worker, handle.await.expect("a worker panicked"));
    }

    let mut total = Worked::default();
    for (worker, worked) in &per_worker {
        println!(
            "worker {worker}: {} fetches",
            worked.fetched + worked.failed
        );
        total.fetched += worked.fetched;
        total.failed += worked.failed;
        total.delays += worked.delays;
    }
    println!(
        "{} fetched, {} failed, in {took:.2?}",
        total.fetched, total.failed
    );
    println!(
        "sum of delays {} {unit} over {k} workers: about {} {unit} if they share the work evenly",
        total.delays,
        total.delays / k as u64
    );
    drop(server);
    Ok(fetch::exit_status(total.failed, n))
}

/// What the producer does with the queue's shutdown flag.
struct Ending {
    /// Clear an earlier run's shutdown before putting.
    reopen: bool,
    /// Shut the queue down after `join`.
    shutdown: bool,
}

/// The producer process: puts the jobs on the Redis queue and waits for the
/// workers of every process to mark them done.
async fn produce(
    redis: &Redis,
    name: &str,
    url: Option<String>,
    n: usize,
    capacity: usize,
    delay: RangeInclusive<u64>,
    ending: Ending,
) -> std::io::Result<ExitCode> {
    // The capacity is checked inside Redis, so it bounds the waiting jobs
    // whichever producer put them.
    let queue: RedisQueue<Job> = match RedisQueue::builder(name)
        .capacity(capacity)
        .open(redis)
        .await
    {
        Ok(queue) => queue,
        Err(err) => return Ok(failed(redis.url(), &err)),
    };
    if ending.reopen {
        match queue.reopen().await {
            Ok(true) => {
                println!("producer: reopened queue {name:?}: an earlier run had shut it down")
            }
            Ok(false) => {}
            Err(err) => return Ok(failed(redis.url(), &err)),
        }
    }
    // The server must outlive `join`: the workers fetch from it until then.
    let (url, server) = aio::url_or_spawn(url, delay).await?;
    println!(
        "producer: {n} fetches of {url} on queue {name:?} at {} (capacity {capacity})",
        redis.url()
    );
    let start = Instant::now();
    match fetch_queue::produce(&queue, &url, n).await {
        Ok(()) => {}
        Err(Error::ShutDown) => {
            eprintln!(
                "error: queue {name:?} at {} is shut down (by an earlier --shutdown): \
                 its workers have exited; give --reopen (once they are gone), or use \
                 another --queue",
                redis.url()
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(err) => return Ok(failed(redis.url(), &err)),
    }
    println!(
        "producer: join returned: the workers marked all {n} fetches done, in {:.2?}",
        start.elapsed()
    );
    drop(server);
    if ending.shutdown {
        // Every process's next `get` fails once nothing is left: the
        // workers return.
        if let Err(err) = WorkQueue::shutdown(&queue).await {
            return Ok(failed(redis.url(), &err));
        }
        println!("producer: shut the queue down: the workers exit");
    } else {
        println!("producer: the queue stays open: the workers wait for more work");
    }
    Ok(ExitCode::SUCCESS)
}

/// A worker process: `k` fetchers on the Redis queue until it is shut down.
async fn work(redis: &Redis, name: &str, k: usize) -> ExitCode {
    let queue: RedisQueue<Job> = match RedisQueue::open(redis, name).await {
        Ok(queue) => queue,
        Err(err) => return failed(redis.url(), &err),
    };
    let label = format!("worker {}", std::process::id());
    let plural = if k == 1 { "" } else { "s" };
    println!(
        "{label}: {k} fetcher{plural} on queue {name:?} at {}, until it is shut down",
        redis.url()
    );
    // The same fetchers as in one process: only the queue differs.
    let worked = fetch_queue::work(queue, reqwest::Client::new(), k, label.clone()).await;
    println!(
        "{label}: {} fetched, {} failed; the queue is shut down",
        worked.fetched, worked.failed
    );
    fetch::exit_status(worked.failed, worked.fetched + worked.failed)
}

/// Reports a Redis error, naming the server, and returns the failure
/// status.
fn failed(redis_url: &str, err: &Error) -> ExitCode {
    match err {
        // It names the URL already.
        Error::Connect { .. } => eprintln!("error: {err}"),
        _ => eprintln!("error: redis at {redis_url}: {err}"),
    }
    ExitCode::FAILURE
}
