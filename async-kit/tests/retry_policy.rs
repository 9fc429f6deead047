//! `retry::retry` and `retry::Policy`: attempts, backoff, deadline, predicate,
//! retry-after and budget, under tokio's paused clock.

use std::cell::{Cell, RefCell};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_kit::retry::{Budget, Policy, Reason, attempt, is_transient, retry};
use async_kit::time::timeout;
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// An operation that fails `failures` times with `err()`, then succeeds with
/// the attempt number; it records the instant each attempt starts.
struct Flaky {
    failures: u32,
    starts: RefCell<Vec<Duration>>,
    origin: Instant,
}

impl Flaky {
    fn new(failures: u32) -> Self {
        Flaky {
            failures,
            starts: RefCell::new(Vec::new()),
            origin: Instant::now(),
        }
    }

    async fn call(&self) -> Result<u32, io::Error> {
        self.starts.borrow_mut().push(self.origin.elapsed());
        let n = self.starts.borrow().len() as u32;
        if n <= self.failures {
            Err(io::Error::from(io::ErrorKind::ConnectionReset))
        } else {
            Ok(n)
        }
    }

    fn starts(&self) -> Vec<Duration> {
        self.starts.borrow().clone()
    }
}

#[tokio::test(start_paused = true)]
async fn success_at_once_runs_one_attempt_and_never_sleeps() {
    let op = Flaky::new(0);
    assert_eq!(retry(Policy::new(), || op.call()).await.unwrap(), 1);
    assert_eq!(op.starts(), [ms(0)]);
}

#[tokio::test(start_paused = true)]
async fn succeeds_on_the_attempt_after_the_failures() {
    let op = Flaky::new(3);
    let policy = Policy::constant(ms(10)).max_attempts(4);
    assert_eq!(retry(policy, || op.call()).await.unwrap(), 4);
    assert_eq!(op.starts(), [ms(0), ms(10), ms(20), ms(30)]);
}

#[tokio::test(start_paused = true)]
async fn exhausted_after_max_attempts_with_the_last_error() {
    let op = Flaky::new(u32::MAX);
    let policy = Policy::constant(ms(10)).max_attempts(5);
    let err = retry(policy, || op.call()).await.unwrap_err();
    assert_eq!(err.reason(), Reason::Exhausted);
    assert_eq!(err.attempts(), 5);
    assert_eq!(err.get_ref().kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(
        err.to_string(),
        "gave up after 5 attempts: attempts exhausted"
    );
    // No wait after the last attempt.
    assert_eq!(op.starts().last(), Some(&ms(40)));
    assert_eq!(op.origin.elapsed(), ms(40));
}

#[tokio::test(start_paused = true)]
async fn one_attempt_means_no_retry() {
    let op = Flaky::new(1);
    let err = retry(Policy::new().max_attempts(1), || op.call())
        .await
        .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Exhausted, 1));
}

#[test]
#[should_panic(expected = "at least one attempt")]
fn zero_attempts_panics() {
    let _ = Policy::new().max_attempts(0);
}

#[tokio::test(start_paused = true)]
async fn seeded_jitter_stays_within_bounds_and_repeats_exactly() {
    let policy = Policy::exponential(ms(100))
        .max_delay(ms(1_000))
        .max_attempts(9)
        .seed(2026);
    let run = || async {
        let delays = RefCell::new(Vec::new());
        let op = Flaky::new(u32::MAX);
        let err = retry(policy.clone(), || op.call())
            .on_retry(|n, _: &io::Error, d| delays.borrow_mut().push((n, d)))
            .await
            .unwrap_err();
        assert_eq!(err.attempts(), 9);
        // Each attempt starts exactly after the waits before it.
        let mut at = Duration::ZERO;
        let starts = op.starts();
        for (i, (n, d)) in delays.borrow().iter().enumerate() {
            assert_eq!(*n, i as u32 + 1);
            assert!(
                *d <= policy.delay_bound(*n),
                "{d:?} over the bound of attempt {n}"
            );
            at += *d;
            assert_eq!(starts[i + 1], at);
        }
        delays.into_inner()
    };
    let first = run().await;
    let second = run().await;
    assert_eq!(first.len(), 8);
    assert_eq!(first, second, "the same seed gives the same waits");
    // Full jitter really draws: not every wait is its bound, not all equal.
    assert!(first.iter().any(|(n, d)| *d < policy.delay_bound(*n)));
    assert!(first.windows(2).any(|w| w[0].1 != w[1].1));

    let other = Policy::exponential(ms(100))
        .max_delay(ms(1_000))
        .max_attempts(9)
        .seed(2027);
    let delays = RefCell::new(Vec::new());
    let op = Flaky::new(u32::MAX);
    let _ = retry(other, || op.call())
        .on_retry(|n, _: &io::Error, d| delays.borrow_mut().push((n, d)))
        .await;
    assert_ne!(first, delays.into_inner(), "another seed, other waits");
}

#[test]
fn exponential_bounds_double_up_to_the_cap() {
    let policy = Policy::exponential(ms(100)).max_delay(ms(1_000));
    let bounds: Vec<Duration> = (1..=6).map(|n| policy.delay_bound(n)).collect();
    assert_eq!(
        bounds,
        [ms(100), ms(200), ms(400), ms(800), ms(1_000), ms(1_000)]
    );
    // Huge attempt numbers saturate at the cap instead of overflowing.
    assert_eq!(policy.delay_bound(u32::MAX), ms(1_000));
    assert_eq!(
        Policy::exponential(Duration::MAX).delay_bound(3),
        Duration::from_secs(10)
    );
}

#[tokio::test(start_paused = true)]
async fn without_jitter_waits_are_the_bounds() {
    let policy = Policy::exponential(ms(10)).jitter(false).max_attempts(5);
    let op = Flaky::new(u32::MAX);
    let _ = retry(policy, || op.call()).await;
    assert_eq!(op.starts(), [ms(0), ms(10), ms(30), ms(70), ms(150)]);
}

#[tokio::test(start_paused = true)]
async fn gives_up_at_the_deadline_to_the_tick() {
    // Attempts fail at once every 300 ms; the caller's budget is 1 s. The
    // fourth attempt runs at 900 ms; a fifth would start at 1200 ms, past
    // the deadline, so the call gives up at 900 ms rather than sleep.
    let op = Flaky::new(u32::MAX);
    let policy = Policy::constant(ms(300)).max_attempts(100);
    let outcome = timeout(ms(1_000), retry(policy, || op.call())).await;
    let err = outcome
        .expect("the retry gives up before the timeout fires")
        .unwrap_err();
    assert_eq!(err.reason(), Reason::Deadline);
    assert_eq!(err.attempts(), 4);
    assert_eq!(op.starts(), [ms(0), ms(300), ms(600), ms(900)]);
    assert_eq!(op.origin.elapsed(), ms(900));
}

#[tokio::test(start_paused = true)]
async fn an_attempt_starting_exactly_at_the_deadline_is_not_started() {
    let op = Flaky::new(u32::MAX);
    let policy = Policy::constant(ms(250)).max_attempts(100);
    let err = timeout(ms(1_000), retry(policy, || op.call()))
        .await
        .unwrap()
        .unwrap_err();
    // 0, 250, 500, 750; the one at 1000 ms would have no time at all.
    assert_eq!((err.reason(), err.attempts()), (Reason::Deadline, 4));
    assert_eq!(op.origin.elapsed(), ms(750));
}

#[tokio::test(start_paused = true)]
async fn min_budget_skips_an_attempt_with_too_little_time_left() {
    let op = Flaky::new(u32::MAX);
    let policy = Policy::constant(ms(300))
        .max_attempts(100)
        .min_budget(ms(100));
    let err = timeout(ms(1_000), retry(policy.clone(), || op.call()))
        .await
        .unwrap()
        .unwrap_err();
    // At 600 ms, a retry at 900 ms would have exactly 100 ms: allowed.
    assert_eq!((err.reason(), err.attempts()), (Reason::Deadline, 4));

    let op = Flaky::new(u32::MAX);
    let policy = policy.min_budget(ms(101));
    let err = timeout(ms(1_000), retry(policy, || op.call()))
        .await
        .unwrap()
        .unwrap_err();
    // Now 99 ms short of it: the call stops at 600 ms.
    assert_eq!((err.reason(), err.attempts()), (Reason::Deadline, 3));
    assert_eq!(op.origin.elapsed(), ms(600));
}

#[tokio::test(start_paused = true)]
async fn inherited_deadline_bounds_the_retries() {
    // The deadline comes from an enclosing timeout two levels up.
    let op = Flaky::new(u32::MAX);
    let policy = Policy::constant(ms(400)).max_attempts(100);
    let err = timeout(ms(1_000), async {
        timeout(ms(60_000), retry(policy, || op.call())).await
    })
    .await
    .unwrap()
    .unwrap()
    .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Deadline, 3));
}

#[tokio::test(start_paused = true)]
async fn slow_attempts_count_against_the_deadline() {
    // Each attempt takes 200 ms and the waits are 150 ms: attempts start at
    // 0, 350 and 700 ms; the third fails at 900 ms, and a fourth would start
    // at 1050 ms, past the deadline.
    let starts = RefCell::new(Vec::new());
    let origin = Instant::now();
    let policy = Policy::constant(ms(150)).max_attempts(100);
    let err = timeout(
        ms(1_000),
        retry(policy, || async {
            starts.borrow_mut().push(origin.elapsed());
            tokio::time::sleep(ms(200)).await;
            Err::<(), _>("slow failure")
        }),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Deadline, 3));
    assert_eq!(starts.into_inner(), [ms(0), ms(350), ms(700)]);
    assert_eq!(origin.elapsed(), ms(900));
}

#[tokio::test(start_paused = true)]
async fn an_attempt_cut_by_the_timeout_ends_in_elapsed() {
    // The retry started a last attempt with time left; the timeout around
    // the whole call ends it at the deadline.
    let origin = Instant::now();
    let outcome = timeout(
        ms(1_000),
        retry(Policy::constant(ms(100)).max_attempts(100), || async {
            tokio::time::sleep(ms(200)).await;
            Err::<(), _>(())
        }),
    )
    .await;
    assert!(outcome.is_err());
    assert_eq!(origin.elapsed(), ms(1_000));
}

#[tokio::test(start_paused = true)]
async fn no_deadline_no_deadline_reason() {
    let op = Flaky::new(u32::MAX);
    let err = retry(
        Policy::constant(Duration::from_secs(3_600)).max_attempts(3),
        || op.call(),
    )
    .await
    .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Exhausted, 3));
    assert_eq!(op.origin.elapsed(), Duration::from_secs(7_200));
}

#[tokio::test(start_paused = true)]
async fn predicate_stops_at_the_first_non_retryable_error() {
    let kinds = [
        io::ErrorKind::TimedOut,
        io::ErrorKind::ConnectionRefused,
        io::ErrorKind::PermissionDenied,
        io::ErrorKind::ConnectionReset,
    ];
    let calls = Cell::new(0);
    let err = retry(Policy::constant(ms(1)).max_attempts(10), || {
        let kind = kinds[calls.get()];
        calls.set(calls.get() + 1);
        async move { Err::<(), _>(io::Error::from(kind)) }
    })
    .when(is_transient)
    .await
    .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Rejected, 3));
    assert_eq!(err.into_inner().kind(), io::ErrorKind::PermissionDenied);
}

#[tokio::test(start_paused = true)]
async fn rejected_wins_over_exhausted_on_the_last_attempt() {
    let err = retry(Policy::new().max_attempts(1), || async { Err::<(), _>(1) })
        .when(|_: &i32| false)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::Rejected);
}

#[test]
fn predicates_see_through_sources_and_io_wrappers() {
    use async_kit::retry::{is_connection_refused, is_connection_reset, is_elapsed, is_timed_out};

    #[derive(Debug)]
    struct Wrapper(io::Error);
    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("request failed")
        }
    }
    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    let refused = Wrapper(io::Error::from(io::ErrorKind::ConnectionRefused));
    assert!(is_connection_refused(&refused));
    assert!(is_transient(&refused));
    assert!(!is_connection_reset(&refused));
    assert!(!is_timed_out(&refused));

    // An io::Error wrapping another io::Error of a transient kind.
    let nested = io::Error::other(io::Error::from(io::ErrorKind::ConnectionReset));
    assert!(is_connection_reset(&nested));
    assert!(!is_elapsed(&nested));
    assert!(!is_transient(&io::Error::other("disk full")));
}

#[tokio::test(start_paused = true)]
async fn elapsed_attempts_are_transient() {
    // Each attempt has its own 50 ms timeout; the second is fast enough.
    let calls = Cell::new(0u64);
    let out = retry(Policy::constant(ms(10)), || {
        calls.set(calls.get() + 1);
        let work = ms(100 / calls.get());
        timeout(ms(60), tokio::time::sleep(work))
    })
    .when(async_kit::retry::is_elapsed)
    .await;
    assert!(out.is_ok());
    assert_eq!(calls.get(), 2);
}

#[derive(Debug)]
struct Busy(Option<Duration>);

#[tokio::test(start_paused = true)]
async fn retry_after_hint_replaces_the_backoff() {
    let origin = Instant::now();
    let starts = RefCell::new(Vec::new());
    let hints = [Some(ms(700)), None, Some(ms(50))];
    let out = retry(Policy::constant(ms(10)).max_attempts(4), || {
        let n = starts.borrow().len();
        starts.borrow_mut().push(origin.elapsed());
        async move {
            match hints.get(n) {
                Some(hint) => Err(Busy(*hint)),
                None => Ok(n + 1),
            }
        }
    })
    .retry_after(|e: &Busy| e.0)
    .await;
    assert_eq!(out.unwrap(), 4);
    assert_eq!(starts.into_inner(), [ms(0), ms(700), ms(710), ms(760)]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_past_the_deadline_gives_up_at_once() {
    let origin = Instant::now();
    let err = timeout(
        ms(1_000),
        retry(Policy::new(), || async {
            Err::<(), _>(Busy(Some(ms(5_000))))
        })
        .retry_after(|e: &Busy| e.0),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Deadline, 1));
    assert_eq!(origin.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn on_retry_sees_each_retry_not_the_give_up() {
    let seen = RefCell::new(Vec::new());
    let op = Flaky::new(u32::MAX);
    let _ = retry(Policy::constant(ms(20)).max_attempts(3), || op.call())
        .on_retry(|n, e: &io::Error, d| seen.borrow_mut().push((n, e.kind(), d)))
        .await;
    let reset = io::ErrorKind::ConnectionReset;
    assert_eq!(seen.into_inner(), [(1, reset, ms(20)), (2, reset, ms(20))]);
}

#[tokio::test(start_paused = true)]
async fn attempt_number_is_visible_in_the_body_and_nested_calls() {
    async fn inner_reads() -> Option<u32> {
        tokio::task::yield_now().await;
        attempt()
    }
    let seen = RefCell::new(Vec::new());
    let out = retry(Policy::constant(ms(1)).max_attempts(5), || async {
        let n = inner_reads().await;
        seen.borrow_mut().push(n);
        if n < Some(3) { Err(()) } else { Ok(n) }
    })
    .await;
    assert_eq!(out.unwrap(), Some(3));
    assert_eq!(seen.into_inner(), [Some(1), Some(2), Some(3)]);
    assert_eq!(attempt(), None);

    // A nested retry shows its own number, and the outer one's after it.
    let out = retry(Policy::new(), || async {
        let inner = retry(Policy::new(), || async { Ok::<_, ()>(attempt()) }).await;
        Ok::<_, ()>((inner.unwrap(), attempt()))
    })
    .await;
    assert_eq!(out.unwrap(), (Some(1), Some(1)));
}

#[tokio::test(start_paused = true)]
async fn budget_caps_retries_to_a_fraction_of_calls() {
    // No reserve, retries up to 20 % of calls over 10 s.
    let budget = Budget::new(Duration::from_secs(10), 0, 0.2);
    let policy = Policy::constant(ms(1)).max_attempts(3).budget(&budget);
    let attempts = Arc::new(AtomicUsize::new(0));
    let mut refused = 0;
    for _ in 0..50 {
        let err = retry(policy.clone(), || {
            attempts.fetch_add(1, Ordering::Relaxed);
            async { Err::<(), _>(()) }
        })
        .await
        .unwrap_err();
        if err.reason() == Reason::Budget {
            refused += 1;
        }
    }
    // 50 calls allow 10 retries in all, not 100: the outage costs 60
    // attempts instead of 150.
    assert_eq!(attempts.load(Ordering::Relaxed), 60);
    // Every call ended on the budget: none could retry twice.
    assert_eq!(refused, 50);
}

#[tokio::test(start_paused = true)]
async fn budget_reserve_and_recovery_after_the_window() {
    // A reserve of 1 retry per second over a 2 s window: 2 retries.
    let budget = Budget::new(Duration::from_secs(2), 1, 0.0);
    let shared = budget.clone();
    let policy = Policy::constant(ms(1)).max_attempts(10).budget(&shared);
    let err = retry(policy.clone(), || async { Err::<(), _>(()) })
        .await
        .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Budget, 3));
    let err = retry(policy.clone(), || async { Err::<(), _>(()) })
        .await
        .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Budget, 1));

    // Once the window has moved past those retries, the reserve is back.
    tokio::time::advance(Duration::from_secs(2)).await;
    let err = retry(policy, || async { Err::<(), _>(()) })
        .await
        .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Budget, 3));
}

#[tokio::test(start_paused = true)]
async fn deadline_refusal_costs_no_budget() {
    let budget = Budget::new(Duration::from_secs(10), 0, 1.0);
    let policy = Policy::constant(ms(500)).max_attempts(10).budget(&budget);
    // The retry at 500 ms would pass the 100 ms deadline: refused by time.
    let err = timeout(
        ms(100),
        retry(policy.clone(), || async { Err::<(), _>(()) }),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(err.reason(), Reason::Deadline);
    // Two calls so far allow two retries: none was spent above.
    let err = retry(policy, || async { Err::<(), _>(()) })
        .await
        .unwrap_err();
    assert_eq!((err.reason(), err.attempts()), (Reason::Budget, 3));
}

#[tokio::test(start_paused = true)]
async fn dropping_the_retry_drops_the_attempt() {
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let mut call = tokio_test::task::spawn(retry(Policy::new(), || {
        let guard = Guard(drops.clone());
        async move {
            let _guard = guard;
            std::future::pending::<Result<(), ()>>().await
        }
    }));
    tokio_test::assert_pending!(call.poll());
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(call);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Policy>();
    send_sync::<Budget>();
    send_sync::<Reason>();
    send_sync::<async_kit::retry::RetryError<io::Error>>();
    fn send<T: Send>(_: &T) {}
    let fut = retry(Policy::new(), || async { Ok::<_, io::Error>(()) });
    send(&fut);
}

// tokio's clock cannot be paused on the multi-thread runtime: zero waits
// here, so nothing depends on real time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_on_the_multi_thread_runtime() {
    let out = tokio::spawn(async {
        let calls = AtomicUsize::new(0);
        let policy = Policy::constant(Duration::ZERO).max_attempts(10);
        timeout(
            Duration::from_secs(3_600),
            retry(policy, || async {
                tokio::task::yield_now().await;
                if calls.fetch_add(1, Ordering::SeqCst) < 4 {
                    Err(())
                } else {
                    Ok(attempt())
                }
            }),
        )
        .await
    })
    .await
    .unwrap();
    assert_eq!(out, Ok(Ok(Some(5))));
}
