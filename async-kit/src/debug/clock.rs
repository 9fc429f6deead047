//! A coarse clock for the slow-poll detector: one atomic load per read.
//!
//! `Instant::now()` costs 20 to 90 ns on the virtual machines we measure on,
//! and timing a poll takes two of them: far too much for a wrapper meant to
//! sit on every task. Instead, one background thread ("async-kit-clock")
//! stores the time since a fixed base, in microseconds, every [`RESOLUTION`],
//! and a read is a relaxed atomic load. The thread runs only while some
//! `WarnSlow` exists ([`User`] counts them) and parks otherwise.
//!
//! (`quanta`'s "recent" clock is the same idea, but it calibrates the TSC for
//! up to 200 ms on first use, which would block an async worker, and allows
//! one upkeep thread per process; this needs nothing but std.)

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How often the clock thread updates the time.
pub(crate) const RESOLUTION: Duration = Duration::from_millis(1);

struct Clock {
    base: Instant,
    /// Microseconds since `base`, as of the last update.
    now_us: AtomicU64,
    /// Live `User`s; the thread parks while this is zero.
    users: AtomicUsize,
    /// Whether the thread started; if it could not, reads use the exact clock.
    running: AtomicBool,
    thread: Mutex<Option<Thread>>,
}

impl Clock {
    fn exact_us(&self) -> u64 {
        // Saturates after 584,000 years.
        u64::try_from(self.base.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(|| Clock {
        base: Instant::now(),
        now_us: AtomicU64::new(0),
        users: AtomicUsize::new(0),
        running: AtomicBool::new(false),
        thread: Mutex::new(None),
    })
}

/// Keeps the clock thread running while it lives, and reads the clock.
pub(crate) struct User(&'static Clock);

impl User {
    pub(crate) fn new() -> User {
        let clock = clock();
        if clock.users.fetch_add(1, Ordering::AcqRel) == 0 {
            // The thread may have parked a while ago: make the time fresh
            // before the first read, then wake (or start) the thread.
            clock.now_us.store(clock.exact_us(), Ordering::Relaxed);
            let mut thread = clock.thread.lock().unwrap_or_else(|e| e.into_inner());
            match &*thread {
                Some(t) => t.unpark(),
                None => {
                    let spawned = thread::Builder::new()
                        .name("async-kit-clock".into())
                        .spawn(move || run(clock));
                    if let Ok(handle) = spawned {
                        *thread = Some(handle.thread().clone());
                        clock.running.store(true, Ordering::Release);
                    }
                }
            }
        }
        User(clock)
    }

    /// Microseconds since the clock's base, as of the last update (or
    /// exactly, if the clock thread could not be started).
    #[inline]
    pub(crate) fn now_us(&self) -> u64 {
        if self.0.running.load(Ordering::Relaxed) {
            self.0.now_us.load(Ordering::Relaxed)
        } else {
            self.0.exact_us()
        }
    }
}

impl Drop for User {
    fn drop(&mut self) {
        self.0.users.fetch_sub(1, Ordering::AcqRel);
    }
}

fn run(clock: &Clock) {
    loop {
        clock.now_us.store(clock.exact_us(), Ordering::Relaxed);
        if clock.users.load(Ordering::Acquire) == 0 {
            // `User::new` refreshes the time and unparks us; a spurious
            // wake-up only costs one more turn of the loop.
            thread::park();
        } else {
            thread::sleep(RESOLUTION);
        }
    }
}
