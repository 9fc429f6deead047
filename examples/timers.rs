//! asyncio's `call_soon`, `call_later` and `call_at`, with cancellation.
//!
//! Recreates the tutorial's loop-callback article: callbacks scheduled
//! "soon", after a delay and at an instant run in deadline order, those due
//! at the same instant in the order they were scheduled, and a cancelled
//! one never runs. Then what asyncio lacks: moving a timer, a periodic
//! callback, and a `Scheduler` that cancels its timers when dropped.
//!
//! Run it with `cargo run --example timers` (add `-- --unit 50ms` to run
//! faster). Times are printed in units since the start.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_kit::time::{Scheduler, TimerHandle, call_at, call_every, call_later, call_soon};
use async_kit_examples::cli::{Args, parse_duration};
use lexopt::prelude::*;
use tokio::time::Instant;

const USAGE: &str = "\
usage: timers [--unit 200ms]

Schedules callbacks with call_soon, call_later and call_at, cancels and
moves some, runs a periodic one and drops a Scheduler, printing each
callback as it runs, in units of time since the start.";

/// Prints `what` with the time since `start`, in units.
#[derive(Clone, Copy)]
struct Clock {
    start: Instant,
    unit: Duration,
}

impl Clock {
    fn at(&self, units: u32) -> Instant {
        self.start + self.unit * units
    }

    fn say(&self, what: &str) {
        let t = self.start.elapsed().as_secs_f64() / self.unit.as_secs_f64();
        println!("t={t:.1}  {what}");
    }

    /// A callback that prints `what`.
    fn cb(self, what: &'static str) -> impl FnOnce() + Send + 'static {
        move || self.say(what)
    }
}

#[tokio::main]
async fn main() {
    let mut unit = Duration::from_millis(200);
    let mut args = Args::from_env(USAGE);
    while let Some(arg) = args.next_flag() {
        match arg {
            Long("unit") => unit = args.value_with(parse_duration),
            other => {
                let err = other.unexpected();
                args.fail(err)
            }
        }
    }
    let clock = Clock {
        start: Instant::now(),
        unit,
    };

    // Deadline order, whatever the order of the calls; `call_soon` first.
    let _c = call_later(unit * 3, clock.cb("call_later(3 units)"));
    let _b1 = call_at(clock.at(1), clock.cb("call_at(1), scheduled first"));
    let _b2 = call_at(clock.at(1), clock.cb("call_at(1), scheduled second"));
    let _a = call_soon(clock.cb("call_soon"));

    // Cancelled before its deadline: it never prints.
    let d = call_later(unit * 2, clock.cb("cancelled: never printed"));
    println!("cancel() of the 2-unit timer: {}", d.cancel());

    // Cancelled while due: both are due at 2; the first cancels the second
    // from another thread, right before it would have run.
    let victim: Arc<Mutex<Option<TimerHandle>>> = Arc::default();
    let slot = victim.clone();
    let _f = call_at(clock.at(2), move || {
        let g = slot.lock().unwrap().take().expect("scheduled");
        let cancelled = std::thread::spawn(move || g.cancel()).join().unwrap();
        clock.say(&format!(
            "first at 2: cancelled the second from another thread: {cancelled}"
        ));
    });
    *victim.lock().unwrap() = Some(call_at(clock.at(2), clock.cb("never printed")));

    // Moved: asyncio would cancel and schedule anew; the handle stays valid.
    let e = call_later(unit, clock.cb("moved from 1 to 4"));
    e.reschedule(clock.at(4));

    // Periodic, until it cancels itself after three ticks.
    let me: Arc<Mutex<Option<TimerHandle>>> = Arc::default();
    let handle = me.clone();
    let mut ticks = 0;
    *me.lock().unwrap() = Some(call_every(unit, move || {
        ticks += 1;
        clock.say(&format!("call_every(1 unit): tick {ticks}"));
        if ticks == 3
            && let Some(me) = handle.lock().unwrap().as_ref()
        {
            me.cancel();
        }
    }));

    // A scheduler owns its timers: dropping it at 4.5 cancels the rest.
    let scheduler = Scheduler::new();
    // (Its own driver runs it, so it gets its own instant, 3.5, rather than
    // sharing 4 with the default driver's timers in no defined order.)
    scheduler.call_at(clock.at(3) + unit / 2, clock.cb("scheduler: runs at 3.5"));
    scheduler.call_at(clock.at(5), clock.cb("scheduler: never printed"));
    tokio::time::sleep_until(clock.at(4) + unit / 2).await;
    drop(scheduler);
    clock.say("dropped the scheduler");

    tokio::time::sleep_until(clock.at(6)).await;
    clock.say("done");
}
