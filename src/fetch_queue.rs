//! The building blocks of `fetch_queue --redis`: the tutorial's
//! producer/consumer split into processes, written once against
//! [`WorkQueue`] so that the same code runs on the in-process
//! [`async_kit::Queue`] or on a [`RedisQueue`](async_kit_redis::RedisQueue).

use std::time::Duration;

use async_kit_redis::{Error, WorkQueue};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::fetch;

/// One fetch to do: which of the run's fetches, and the URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Which fetch of the run, from zero.
    pub index: usize,
    /// The `/aio` URL to fetch.
    pub url: String,
}

/// The part a process plays with `--redis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Puts the fetches on the queue and waits (`join`) until they are done.
    Producer,
    /// Takes fetches from the queue and does them, until it is shut down.
    Worker,
}

impl Role {
    /// Parses `producer` or `worker`.
    pub fn parse(text: &str) -> Result<Role, String> {
        match text {
            "producer" => Ok(Role::Producer),
            "worker" => Ok(Role::Worker),
            _ => Err(format!(
                "invalid role {text:?}: expected producer or worker"
            )),
        }
    }
}

/// Puts `n` fetches of `url` on `queue` (waiting while it is full), then
/// waits until every item put on it, by this process or any other, has been
/// marked done.
pub async fn produce<Q: WorkQueue<Job>>(queue: &Q, url: &str, n: usize) -> Result<(), Error> {
    for index in 0..n {
        let job = Job {
            index,
            url: url.to_string(),
        };
        queue.put(job).await.map_err(|err| err.into_parts().0)?;
    }
    queue.join().await
}

/// What a worker process did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Worked {
    /// Fetches that succeeded.
    pub fetched: usize,
    /// Fetches that failed (each still marked done: a failed fetch is a
    /// result, not a reason to hand the job to someone else).
    pub failed: usize,
    /// The sum of the delays the server reported for the fetches that
    /// succeeded.
    pub delays: u64,
}

/// How long a worker waits before asking again after Redis failed a call
/// (the client reconnects by itself on the next one).
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Runs `tasks` fetchers on `queue` until it is shut down, printing a line
/// per fetch, labelled with `label` (and `.N`, the fetcher's number, when
/// there are several).
///
/// A fetcher marks each job done only after its fetch finished, so a job
/// whose worker dies first is fetched again by another (at least once). A
/// call that Redis fails is reported and retried; a job taken from the queue
/// is never dropped unfetched.
pub async fn work<Q: WorkQueue<Job>>(
    queue: Q,
    client: reqwest::Client,
    tasks: usize,
    label: String,
) -> Worked {
    let mut fetchers = JoinSet::new();
    for task in 0..tasks {
        let (queue, client) = (queue.clone(), client.clone());
        let label = if tasks == 1 {
            label.clone()
        } else {
            format!("{label}.{task}")
        };
        fetchers.spawn(async move { fetcher(&queue, &client, &label).await });
    }
    let mut worked = Worked::default();
    while let Some(done) = fetchers.join_next().await {
        let one = done.expect("a fetcher panicked");
        worked.fetched += one.fetched;
        worked.failed += one.failed;
        worked.delays += one.delays;
    }
    worked
}

async fn fetcher<Q: WorkQueue<Job>>(queue: &Q, client: &reqwest::Client, label: &str) -> Worked {
    let mut worked = Worked::default();
    loop {
        let job = match queue.get().await {
            Ok(job) => job,
            Err(Error::ShutDown) => return worked,
            Err(err) => {
                // A lost connection, or an entry someone else wrote that is
                // not a job (it stays in Redis and comes back after its
                // lease): say so and go on.
                eprintln!("{label}: cannot take a job: {err}");
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
        };
        match fetch::fetch(client, &job.url).await {
            Ok(delay) => {
                worked.fetched += 1;
                worked.delays += delay;
                println!(
                    "{label}: fetched #{} {} (delay {delay})",
                    job.index, job.url
                );
            }
            Err(err) => {
                worked.failed += 1;
                println!("{label}: fetch #{} failed: {err}", job.index);
            }
        }
        if let Err(err) = queue.task_done(job).await {
            eprintln!("{label}: cannot mark a job done (it will be fetched again): {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_kit::Queue;

    #[test]
    fn roles() {
        assert_eq!(Role::parse("producer"), Ok(Role::Producer));
        assert_eq!(Role::parse("worker"), Ok(Role::Worker));
        assert!(
            Role::parse("consumer")
                .unwrap_err()
                .contains("producer or worker")
        );
    }

    /// The same producer and workers on the in-process queue: every job is
    /// fetched once and `join` returns.
    #[tokio::test]
    async fn in_process_every_job_fetched_once() {
        let (addr, _stop) = crate::aio::spawn(crate::aio::Config {
            delay: 1..=5,
            unit: crate::aio::DelayUnit::Millis,
            ..crate::aio::Config::default()
        })
        .await
        .unwrap();
        let url = format!("http://{addr}/aio");
        let queue: Queue<Job> = Queue::bounded(4);
        let workers = tokio::spawn(work(queue.clone(), reqwest::Client::new(), 3, "w".into()));
        produce(&queue, &url, 12).await.unwrap();
        assert!(queue.is_empty());
        queue.shutdown();
        let worked = workers.await.unwrap();
        assert_eq!((worked.fetched, worked.failed), (12, 0));
        // The server delays each answer by 1 to 5 ms and says by how much.
        assert!((12..=60).contains(&worked.delays), "{worked:?}");
    }
}
