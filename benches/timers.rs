//! 100,000 pending `call_later` timers against 100,000 tasks each sleeping
//! (`tokio::spawn(async { sleep(d).await; f() })`, what a tokio user writes
//! by hand): time to schedule, time to fire all, and memory.
//!
//! - schedule: n timers with deadlines spread over one to two seconds, in
//!   shuffled order (n = 1,000, 10,000, 100,000: the time per timer should
//!   stay flat, the heap costs O(log n)); cleanup is not timed.
//! - growth: 1,000 timers scheduled into a `Scheduler` that already holds
//!   100,000 pending ones, against 1,000 into an empty one: the ratio is
//!   the cost of a 100-times larger heap per timer.
//! - fire: 100,000 timers all due at one instant, set after the scheduling
//!   is done; timed from that instant until the last callback has run.
//! - memory: the growth of the resident set while 100,000 timers are
//!   pending, measured in a fresh child process per case (this binary,
//!   re-run with `ASYNC_KIT_TIMERS_MEMORY` set), handles kept.
//!
//! `cargo bench -p async-kit-benches --bench timers`

mod harness;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_kit::time::{Scheduler, TimerHandle, call_later};
use harness::{Case, compare, quick, runtimes};
use tokio::runtime::Runtime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

const N: usize = 100_000;
const MEMORY_VAR: &str = "ASYNC_KIT_TIMERS_MEMORY";

/// A delay in [1 s, 2 s), in an order that is shuffled but the same for
/// every case (a multiplicative hash of `i`).
fn spread(i: usize) -> Duration {
    let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    Duration::from_secs(1) + Duration::from_micros(h % 1_000_000)
}

fn schedule_ours(n: usize, counter: &Arc<AtomicUsize>) -> Vec<TimerHandle> {
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let counter = counter.clone();
        handles.push(call_later(spread(i), move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }));
    }
    handles
}

fn schedule_tasks(n: usize, counter: &Arc<AtomicUsize>) -> Vec<JoinHandle<()>> {
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let counter = counter.clone();
        handles.push(tokio::spawn(async move {
            tokio::time::sleep(spread(i)).await;
            counter.fetch_add(1, Ordering::Relaxed);
        }));
    }
    handles
}

fn schedule_cases(rt: &Runtime, n: usize) -> Vec<Case<'_>> {
    let counter = Arc::new(AtomicUsize::new(0));
    let ours_counter = counter.clone();
    vec![
        Case::batch("call_later", n as u64, move || {
            rt.block_on(async {
                let start = Instant::now();
                let handles = schedule_ours(n, &ours_counter);
                let took = start.elapsed();
                for handle in &handles {
                    handle.cancel();
                }
                // One more call sweeps the cancelled entries out of the
                // heap, outside the timed part.
                call_later(Duration::ZERO, || {}).cancel();
                took
            })
        }),
        Case::batch("spawn+sleep", n as u64, move || {
            rt.block_on(async {
                let start = Instant::now();
                let handles = schedule_tasks(n, &counter);
                let took = start.elapsed();
                for handle in &handles {
                    handle.abort();
                }
                for handle in handles {
                    let _ = handle.await;
                }
                took
            })
        }),
    ]
}

/// Schedules 1,000 timers on `scheduler`; returns the time taken.
fn schedule_1000_on(scheduler: &Scheduler) -> Duration {
    let start = Instant::now();
    let handles: Vec<TimerHandle> = (0..1_000)
        .map(|i| scheduler.call_later(spread(i), || {}))
        .collect();
    let took = start.elapsed();
    for handle in &handles {
        handle.cancel();
    }
    took
}

fn growth_cases(rt: &Runtime) -> Vec<Case<'_>> {
    let full = rt.block_on(async {
        let full = Scheduler::new();
        for i in 0..N {
            full.call_later(Duration::from_secs(3_600) + spread(i), || {});
        }
        full
    });
    vec![
        Case::batch("call_later into 100k pending", 1_000, move || {
            rt.block_on(async { schedule_1000_on(&full) })
        }),
        Case::batch("call_later into none pending", 1_000, move || {
            rt.block_on(async { schedule_1000_on(&Scheduler::new()) })
        }),
    ]
}

/// Waits until `counter` reaches `n`; returns when that happened.
async fn all_fired(counter: &AtomicUsize, done: &Notify, n: usize) -> Instant {
    loop {
        let notified = done.notified();
        if counter.load(Ordering::Acquire) >= n {
            return Instant::now();
        }
        notified.await;
    }
}

/// The time from `fire_at` until all `n` callbacks ran. Panics if the
/// scheduling was not done by `fire_at`, which would void the sample.
fn fire_sample(rt: &Runtime, ours: bool) -> Duration {
    rt.block_on(async {
        let counter = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(Notify::new());
        let fire_at = Instant::now() + Duration::from_millis(if quick() { 150 } else { 250 });
        let at = tokio::time::Instant::from_std(fire_at);
        let mut timers = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..N {
            let counter = counter.clone();
            let done = done.clone();
            let f = move || {
                if counter.fetch_add(1, Ordering::AcqRel) + 1 == N {
                    done.notify_one();
                }
            };
            if ours {
                timers.push(async_kit::time::call_at(at, f));
            } else {
                tasks.push(tokio::spawn(async move {
                    tokio::time::sleep_until(at).await;
                    f();
                }));
            }
        }
        assert!(
            Instant::now() < fire_at,
            "scheduling took longer than the margin; raise it"
        );
        let end = all_fired(&counter, &done, N).await;
        black_box((timers, tasks));
        end - fire_at
    })
}

/// Resident set size in bytes, from `/proc/self/status`.
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// In the child process: the RSS growth, in bytes, while N timers of
/// `case` are pending; printed on stdout.
fn memory_child(case: &str) {
    let (rt_name, kind) = case.split_once(':').expect("runtime:kind");
    let [(_, mt), (_, ct)] = runtimes();
    let rt = if rt_name == "mt2" { mt } else { ct };
    let counter = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        // Start the timer driver and warm the runtime before measuring.
        call_later(Duration::from_secs(60), || {}).cancel();
        let _ = tokio::spawn(async {}).await;
        let before = rss_bytes().expect("/proc/self/status");
        let kept: (Vec<TimerHandle>, Vec<JoinHandle<()>>) = match kind {
            "ours" => (schedule_ours(N, &counter), Vec::new()),
            _ => (Vec::new(), schedule_tasks(N, &counter)),
        };
        // Let the tasks register their sleeps.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let after = rss_bytes().expect("/proc/self/status");
        println!("{}", after.saturating_sub(before));
        black_box(kept);
    });
}

fn memory_of(case: &str) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe)
        .env(MEMORY_VAR, case)
        .output()
        .ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

fn main() {
    if let Some(case) = std::env::var_os(MEMORY_VAR) {
        memory_child(case.to_str().expect("utf-8"));
        return;
    }
    let sizes: &[usize] = if quick() {
        &[1_000, N]
    } else {
        &[1_000, 10_000, N]
    };
    for (rt_name, rt) in runtimes() {
        let rt = &rt;
        for &n in sizes {
            compare(
                &format!("timers schedule n={n} [{rt_name}]"),
                schedule_cases(rt, n),
            );
        }
        compare(&format!("timers growth [{rt_name}]"), growth_cases(rt));
        compare(
            &format!("timers fire n={N} [{rt_name}]"),
            vec![
                Case::batch("call_at", N as u64, || fire_sample(rt, true)),
                Case::batch("spawn+sleep_until", N as u64, || fire_sample(rt, false)),
            ],
        );
    }
    for rt_name in ["mt2", "ct"] {
        let ours = memory_of(&format!("{rt_name}:ours"));
        let tasks = memory_of(&format!("{rt_name}:tasks"));
        match (ours, tasks) {
            (Some(ours), Some(tasks)) => println!(
                "timers memory n={N} [{rt_name}]: call_later vs spawn+sleep = {:.2} ({:.0} vs {:.0} bytes per timer, RSS growth)",
                ours as f64 / tasks as f64,
                ours as f64 / N as f64,
                tasks as f64 / N as f64,
            ),
            _ => println!("timers memory [{rt_name}]: could not measure (needs /proc)"),
        }
    }
}
