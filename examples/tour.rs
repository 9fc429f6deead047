//! The tour: the tutorial's whole story in one run, with no server to start
//! by hand.
//!
//! Starts the `/aio` server in-process on a free port with delays of tens of
//! milliseconds, then fetches from it sequentially, concurrently, under a
//! `#[timeout]`, through a `Limiter` and through a `TaskPool`; then a queue
//! of workers with `task_done` / `join`, callbacks and `wait`, CPU work
//! inline and offloaded against a ticker, the timers, a file and SQLite, a
//! plain thread handing work to the runtime, the line echo server with a
//! client, and a resilient fetcher retrying a failing server under a rate
//! limit and one deadline. Each section prints its picture; an index of the examples that
//! tell each part at length ends it.
//!
//! Run it with `cargo run --example tour`. It exits 0 in a few seconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_kit::task::{self, ReturnWhen};
use async_kit::time::call_later;
use async_kit::{BackgroundRuntime, LimitExt, Limiter, Queue, TaskPool, timeout};
use async_kit_examples::aio::{self, Config, DelayUnit};
use async_kit_examples::{echo, fetch, resilient, store};
use futures::StreamExt;

const REQUESTS: usize = 5;
const LIMITED: usize = 8;
const LIMIT: usize = 3;
const POOLED: usize = 12;
const POOL: usize = 4;

/// The tutorial's timeout decorator on a fetcher: a slow answer becomes an
/// error instead of a hang.
#[timeout(250ms)]
async fn fetch_in_time(client: &reqwest::Client, url: &str) -> Result<u64, fetch::Error> {
    fetch::fetch(client, url).await
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config {
        delay: 50..=400,
        unit: DelayUnit::Millis,
        ..Config::default()
    };
    let (addr, _stop) = aio::spawn(config).await?;
    let url = format!("http://{addr}/aio");
    println!("tour: the /aio server runs on {url} (delays of 50 to 400 ms)\n");
    let client = reqwest::Client::new();

    println!("== 1. sequential: one request after another");
    let start = Instant::now();
    let results = fetch::sequential(&client, &url, REQUESTS).await;
    let sequential = start.elapsed();
    let delays = fetch::report("sequential", &results, sequential);
    let sum: u64 = delays.iter().sum();
    println!("the run took {sequential:.2?}, about the sum of the delays ({sum} ms)\n");

    println!("== 2. concurrent: all requests at once");
    let start = Instant::now();
    let results = fetch::concurrent(&client, &url, REQUESTS).await;
    let concurrent = start.elapsed();
    let delays = fetch::report("concurrent", &results, concurrent);
    let max = delays.iter().max().copied().unwrap_or(0);
    println!("the run took {concurrent:.2?}, about the longest delay ({max} ms)\n");

    println!("== 3. #[timeout(250ms)] on the fetcher");
    let attempts =
        futures::future::join_all((0..REQUESTS).map(|_| fetch_in_time(&client, &url))).await;
    let (mut in_time, mut late) = (0, 0);
    for attempt in &attempts {
        match attempt {
            Ok(delay) => {
                in_time += 1;
                println!("answered in time: delay {delay} ms");
            }
            Err(e) => {
                late += 1;
                println!("gave up: {e}");
            }
        }
    }
    println!("{in_time} answered within 250 ms, {late} timed out\n");

    println!("== 4. limited: {LIMITED} requests at once, at most {LIMIT} in flight (Limiter)");
    // One limiter shared by every request: the server never sees more than
    // LIMIT of ours at a time, however many are started.
    let limiter = Limiter::new(LIMIT);
    let run_start = tokio::time::Instant::now();
    let start = Instant::now();
    let results = futures::future::join_all(
        (0..LIMITED).map(|i| fetch::fetch_timed(&client, &url, i, run_start).limited(&limiter)),
    )
    .await;
    let limited = start.elapsed();
    fetch::report("limited", &results, limited);
    let peak = fetch::peak_in_flight(&results);
    println!("peak in flight: {peak} (limit {LIMIT})\n");

    println!("== 5. pooled: {POOLED} requests through a TaskPool of {POOL} tasks");
    // The pool runs the fetches as tasks on every runtime thread, never more
    // than POOL at once, and `map` takes the next URL only when a slot frees.
    let pool = TaskPool::new(POOL);
    let run_start = tokio::time::Instant::now();
    let start = Instant::now();
    let fetches = {
        let (client, url) = (client.clone(), url.clone());
        pool.map(0..POOLED, move |i| {
            let (client, url) = (client.clone(), url.clone());
            async move { fetch::fetch_timed(&client, &url, i, run_start).await }
        })
    };
    let results: Vec<_> = fetches
        .map(|r| r.expect("a fetch does not panic"))
        .collect()
        .await;
    let pooled = start.elapsed();
    fetch::report("pooled", &results, pooled);
    let figures = pool.figures();
    println!(
        "peak in flight: {} (pool of {POOL}); pool peak running {}, {} panicked\n",
        fetch::peak_in_flight(&results),
        figures.peak_running,
        figures.panicked
    );

    queue_of_workers(&client, &url).await;
    callbacks_and_wait(&client, &url).await;
    cpu_work_and_the_ticker().await;
    timers().await;
    files_and_sqlite().await?;
    from_a_plain_thread(&client, &url).await;
    echo_server_and_client().await?;
    resilient_fetch(&client).await?;

    println!("== summary");
    println!(
        "sequential {:.2?} vs concurrent {:.2?}: {:.1}x faster concurrently",
        sequential,
        concurrent,
        sequential.as_secs_f64() / concurrent.as_secs_f64().max(f64::EPSILON)
    );
    println!(
        "limited to {LIMIT}: {limited:.2?} for {LIMITED} requests; pool of {POOL}: {pooled:.2?} for {POOLED}"
    );
    println!("\n{INDEX}");
    Ok(())
}

/// Where each part of the story is told at length.
const INDEX: &str = "\
== the examples, one per part of the series (cargo run --example NAME)
  hello_run         the event loop: asyncio.run and a first coroutine
  fetch_concurrent  sequential against concurrent requests, with timelines
  timeout           #[timeout]: a deadline per call, inherited by callees
  fetch_limited     a Limiter: at most N requests in flight
  fetch_pool        a TaskPool: bounded tasks, map, figures, shutdown
  fetch_queue       a Queue of workers with task_done / join / shutdown
  fetch_callbacks   done callbacks, wait(FIRST_COMPLETED), a budget
  cpu_offload       CPU work: inline starves the loop, offload does not
  timers            call_soon / call_later / call_at, moved and cancelled
  files_and_db      files and SQLite without blocking the runtime
  dynamic_tasks     a plain thread submitting work to a background runtime
  runtimes          the same program on both of tokio's schedulers
  echo_raw          the raw-socket echo server
  echo_server       the line echo server: timeouts and a connection limit
  echo_client       its client, and a load of many clients
  fetch_resilient   retries with backoff and Retry-After, a rate limit, a deadline
  aio_server        the /aio server every fetcher talks to";

/// Article "asyncio.Queue": workers take fetches off a bounded queue; the
/// producer's `join` returns once every one is marked done.
async fn queue_of_workers(client: &reqwest::Client, url: &str) {
    const JOBS: usize = 10;
    const WORKERS: usize = 3;
    println!("== 6. a queue: {JOBS} fetches, {WORKERS} workers, join() when all are done");
    let jobs: Queue<usize> = Queue::bounded(4);
    let run_start = tokio::time::Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (jobs, client, url) = (jobs.clone(), client.clone(), url.to_string());
            tokio::spawn(async move {
                let mut fetched = Vec::new();
                // The guard marks the job done when dropped, whatever happens.
                while let Ok(job) = jobs.get_guarded().await {
                    if let Ok(f) = fetch::fetch_timed(&client, &url, *job, run_start).await {
                        fetched.push((worker, f));
                    }
                }
                fetched
            })
        })
        .collect();
    for job in 0..JOBS {
        jobs.put(job).await.expect("open until join returns");
    }
    jobs.join().await;
    jobs.shutdown();
    let mut fetched = Vec::new();
    for (worker, handle) in workers.into_iter().enumerate() {
        let done = handle.await.expect("a worker does not panic");
        let indices: Vec<String> = done.iter().map(|(_, f)| format!("#{}", f.index)).collect();
        println!("worker {worker} fetched {}", indices.join(" "));
        fetched.extend(done.into_iter().map(|(_, f)| f));
    }
    fetched.sort_by_key(|f| f.index);
    let bars: Vec<_> = fetched.iter().map(fetch::Fetched::bar).collect();
    print!("{}", async_kit_examples::timeline::render(&bars, 60));
    println!("join() returned with {} of {JOBS} fetched\n", bars.len());
}

/// Article on callbacks and `asyncio.wait`: a callback per task, the first
/// answer, then a budget for the rest; the late ones are cancelled.
async fn callbacks_and_wait(client: &reqwest::Client, url: &str) {
    println!("== 7. done callbacks and wait(): first answer, then 150 ms for the rest");
    let start = Instant::now();
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let (client, url) = (client.clone(), url.to_string());
            let handle = task::spawn(async move { fetch::fetch(&client, &url).await });
            handle.add_done_callback(move |outcome: task::Outcome<'_, _>| {
                let what = match outcome {
                    task::Outcome::Completed(Some(Ok(delay))) => format!("delay {delay} ms"),
                    task::Outcome::Completed(_) => "failed".to_string(),
                    task::Outcome::Panicked => "panicked".to_string(),
                    task::Outcome::Cancelled => "cancelled".to_string(),
                };
                println!(
                    "  [{:>4} ms] callback of #{i}: {what}",
                    start.elapsed().as_millis()
                );
            });
            handle
        })
        .collect();
    let (first, pending) = task::wait(handles, ReturnWhen::FirstCompleted, None).await;
    let budget = Duration::from_millis(150);
    let (more, late) = task::wait(pending, ReturnWhen::AllCompleted, Some(budget)).await;
    for handle in &late {
        handle.abort();
    }
    let cancelled = futures::future::join_all(late).await.len();
    println!(
        "first {}, then {} within the budget, {cancelled} cancelled\n",
        first.len(),
        more.len()
    );
}

/// Spins the thread for `work`: CPU work that never yields.
fn burn(work: Duration) -> u64 {
    let start = Instant::now();
    let mut x = 0_u64;
    while start.elapsed() < work {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
    }
    x
}

/// Article on CPU-bound coroutines: on a one-thread event loop, CPU work
/// inline stops a ticker; offloaded, it does not.
async fn cpu_work_and_the_ticker() {
    println!("== 8. CPU work on a one-thread event loop, with a ticker every 20 ms");
    // The tour's runtime has several threads; the lesson needs one, as
    // asyncio's loop has.
    let (inline, offloaded) = tokio::task::spawn_blocking(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        rt.block_on(async {
            let ticks = Arc::new(AtomicU64::new(0));
            let counter = ticks.clone();
            let ticker = tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_millis(20));
                loop {
                    every.tick().await;
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
            tokio::task::yield_now().await;
            let work = Duration::from_millis(200);
            let before = ticks.load(Ordering::Relaxed);
            async { burn(work) }.await;
            let inline = ticks.load(Ordering::Relaxed) - before;
            tokio::time::sleep(Duration::from_millis(20)).await;
            let before = ticks.load(Ordering::Relaxed);
            async_kit::offload(move || burn(work))
                .await
                .expect("the job does not panic");
            let offloaded = ticks.load(Ordering::Relaxed) - before;
            ticker.abort();
            (inline, offloaded)
        })
    })
    .await
    .expect("the lesson does not panic");
    println!(
        "during 200 ms of CPU work the ticker ticked: inline {inline}, offloaded {offloaded} (about 10 expected)\n"
    );
}

/// Article on the loop's callbacks: `call_later` in deadline order, and a
/// cancelled one never runs.
async fn timers() {
    println!("== 9. timers: call_later in deadline order, one cancelled");
    let start = Instant::now();
    let (said, heard) = std::sync::mpsc::channel();
    let at = |ms: u64, what: &'static str| {
        let said = said.clone();
        call_later(Duration::from_millis(ms), move || {
            let _ = said.send(format!("  [{:>3} ms] {what}", start.elapsed().as_millis()));
        })
    };
    let _third = at(90, "call_later(90 ms), scheduled first");
    let _first = at(30, "call_later(30 ms)");
    let cancelled = at(60, "never printed: cancelled");
    let _second = at(60, "call_later(60 ms)");
    println!("cancel() of a 60 ms timer: {}", cancelled.cancel());
    tokio::time::sleep(Duration::from_millis(120)).await;
    drop(said);
    for line in heard.try_iter() {
        println!("{line}");
    }
    println!();
}

/// Article on files and databases: a log file and SQLite, without blocking
/// the runtime's threads.
async fn files_and_sqlite() -> std::io::Result<()> {
    println!("== 10. a file and SQLite, off the runtime's threads");
    let dir = std::env::temp_dir().join(format!("async-kit-tour-{}", std::process::id()));
    tokio::fs::create_dir_all(&dir).await?;
    let rows: Vec<(String, u64)> = (0..6).map(|i| (format!("/aio?i={i}"), 10 * i)).collect();
    let lines: Vec<String> = rows.iter().map(|(u, d)| format!("{u} {d}")).collect();
    let log = dir.join("fetches.log");
    store::append_lines(&log, &lines).await?;
    let db = store::Db::open(dir.join("fetches.db")).await?;
    futures::future::try_join_all(rows.iter().map(|(u, d)| db.insert(u, *d))).await?;
    let slow = db.slower_than(30).await?;
    println!(
        "{} lines in the log, {} rows with a delay of 30 or more in SQLite",
        store::read_lines(&log).await?.len(),
        slow.len()
    );
    tokio::fs::remove_dir_all(&dir).await?;
    println!();
    Ok(())
}

/// Article on adding coroutines from another thread: a plain thread hands
/// fetches to this runtime and blocks on the answers, not the runtime.
async fn from_a_plain_thread(client: &reqwest::Client, url: &str) {
    println!("== 11. a plain thread submits fetches to the running event loop");
    let runtime = BackgroundRuntime::from_handle(tokio::runtime::Handle::current());
    let (client, url) = (client.clone(), url.to_string());
    let thread = std::thread::spawn(move || {
        let submissions: Vec<_> = (0..3)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                runtime
                    .submit(async move { fetch::fetch(&client, &url).await })
                    .expect("the runtime runs")
            })
            .collect();
        submissions
            .into_iter()
            .map(|s| s.wait().ok().and_then(Result::ok))
            .collect::<Vec<_>>()
    });
    // Wait for the thread without blocking a runtime thread.
    let answers = tokio::task::spawn_blocking(move || thread.join())
        .await
        .expect("joined")
        .expect("the thread does not panic");
    println!("the thread got its answers: {answers:?} (delays in ms)\n");
}

/// Articles on echo servers: the line server and a client on loopback.
async fn echo_server_and_client() -> std::io::Result<()> {
    println!("== 12. the line echo server and a client");
    let listener = async_kit_examples::bind(([127, 0, 0, 1], 0).into())?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(echo::serve_lines(
        listener,
        echo::LinesConfig::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let lines: Vec<String> = ["hello", "asyncio", "from tokio"]
        .map(String::from)
        .to_vec();
    let replies = echo::echo_lines(addr, &lines).await?;
    for (line, reply) in lines.iter().zip(&replies) {
        println!("sent {line:?}, got back {reply:?}");
    }
    let report = echo::load(addr, 100, 5).await;
    println!(
        "then {} clients at once: {} lines echoed, {} failed",
        report.clients, report.echoed, report.failed
    );
    let _ = stop.send(());
    server.await.expect("the server does not panic")?;
    println!();
    Ok(())
}

/// Issue 14: a server that fails 40% of its answers with 503, and a
/// fetcher that retries them with backoff, through one throttle (a rate
/// and a concurrency limit), all by one deadline.
async fn resilient_fetch(client: &reqwest::Client) -> std::io::Result<()> {
    println!("== 13. resilient: retries with backoff under a rate limit and one deadline");
    let config = Config {
        delay: 20..=80,
        unit: DelayUnit::Millis,
        fail_rate: 0.4,
        retry_after: 0,
        seed: Some(5),
        ..Config::default()
    };
    let (addr, _stop) = aio::spawn(config).await?;
    let options = resilient::Options {
        n: 6,
        deadline: Duration::from_secs(3),
        attempts: 6,
        max_delay: Duration::from_millis(400),
        seed: Some(5),
        ..resilient::Options::default()
    };
    println!(
        "6 requests, 40% answered 503, {}/s and {} in flight, deadline {:?}",
        options.rate, options.concurrency, options.deadline
    );
    let start = Instant::now();
    let requests = resilient::run(client, &format!("http://{addr}/aio"), &options).await;
    resilient::report(&requests, start.elapsed(), 60);
    println!();
    Ok(())
}
