use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep, sleep_until};

use super::attempt::Scope;
use super::error::{Reason, RetryError};
use super::policy::Policy;
use super::rng::Rng;

/// Runs `op()` and awaits the future it returns, and runs it again when it
/// fails, as `policy` says.
///
/// Each attempt calls `op` for a fresh future. The call succeeds with the
/// first `Ok`; it gives up with a [`RetryError`] when the last allowed
/// attempt failed ([`Reason::Exhausted`]), when the error is not worth a
/// retry ([`Retry::when`], by default every `Err` is), when the next attempt
/// would start past the propagated [`deadline`](crate::deadline) or with
/// less than [`Policy::min_budget`] left ([`Reason::Deadline`]: it gives up
/// at once rather than sleep in vain), or when the policy's
/// [`Budget`](super::Budget) refuses ([`Reason::Budget`]).
///
/// The wait before a retry is the policy's backoff, or the error's own hint
/// when [`Retry::retry_after`] finds one. [`Retry::on_retry`] sees every
/// retry before its wait, and the attempt's code reads its number with
/// [`attempt`](super::attempt()).
///
/// # Panics
///
/// Polling panics if an attempt fails with a non-zero wait and there is no
/// tokio runtime with the time driver enabled (as [`tokio::time::sleep`]).
///
/// # Cancel safety
///
/// Dropping the returned future drops the running attempt, or the wait
/// between two: it is cancel safe exactly when the futures `op` returns
/// are. A later call starts again from the first attempt.
///
/// # Examples
///
/// ```
/// use std::io;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use async_kit::retry::{Policy, is_transient, retry};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let calls = AtomicU32::new(0);
/// let policy = Policy::exponential(Duration::from_millis(100)).max_attempts(4);
/// let out = retry(policy, || async {
///     if calls.fetch_add(1, Ordering::Relaxed) < 2 {
///         Err(io::Error::from(io::ErrorKind::ConnectionRefused))
///     } else {
///         Ok("connected")
///     }
/// })
/// .when(is_transient)
/// .await;
/// assert_eq!(out.unwrap(), "connected");
/// assert_eq!(calls.load(Ordering::Relaxed), 3);
/// # }
/// ```
pub fn retry<Op, Fut, T, E>(policy: Policy, op: Op) -> Plain<Op, Fut, E>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retry {
        op,
        future: None,
        sleep: None,
        rng: policy.rng(),
        policy,
        when: always::<E> as fn(&E) -> bool,
        on_retry: quiet::<E> as fn(u32, &E, Duration),
        retry_after: no_hint::<E> as fn(&E) -> Option<Duration>,
        attempts: 0,
    }
}

/// A retry with the default predicate, hook and hint.
type Plain<Op, Fut, E> =
    Retry<Op, Fut, fn(&E) -> bool, fn(u32, &E, Duration), fn(&E) -> Option<Duration>>;

// The defaults: every error is retried, nothing is logged, no error
// carries a hint.
#[doc(hidden)]
pub fn always<E>(_: &E) -> bool {
    true
}

#[doc(hidden)]
pub fn quiet<E>(_: u32, _: &E, _: Duration) {}

#[doc(hidden)]
pub fn no_hint<E>(_: &E) -> Option<Duration> {
    None
}

pin_project! {
    /// Future returned by [`retry`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Retry<Op, Fut, W, H, A> {
        op: Op,
        #[pin]
        future: Option<Fut>,
        // Boxed: the wait is the rare path, and a `Sleep` inline would make
        // every retrying future (and the state of every `#[retry]` fn) a
        // timer entry larger, copied on the happy path too.
        sleep: Option<Pin<Box<Sleep>>>,
        policy: Policy,
        rng: Option<Rng>,
        when: W,
        on_retry: H,
        retry_after: A,
        attempts: u32,
    }
}

impl<Op, Fut, W, H, A> Retry<Op, Fut, W, H, A> {
    /// Retries only the errors for which `predicate` returns `true`; any
    /// other error ends the call with [`Reason::Rejected`]. The default
    /// retries every error. See [`is_transient`](super::is_transient) and
    /// its siblings for ready-made predicates.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use async_kit::retry::{Policy, Reason, is_connection_refused, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let err = retry(Policy::new(), || async {
    ///     Err::<(), _>(io::Error::from(io::ErrorKind::NotFound))
    /// })
    /// .when(is_connection_refused)
    /// .await
    /// .unwrap_err();
    /// assert_eq!((err.reason(), err.attempts()), (Reason::Rejected, 1));
    /// # }
    /// ```
    pub fn when<E, W2: FnMut(&E) -> bool>(self, predicate: W2) -> Retry<Op, Fut, W2, H, A> {
        Retry {
            op: self.op,
            future: self.future,
            sleep: self.sleep,
            policy: self.policy,
            rng: self.rng,
            when: predicate,
            on_retry: self.on_retry,
            retry_after: self.retry_after,
            attempts: self.attempts,
        }
    }

    /// Calls `hook(attempt, &error, delay)` before each retry's wait:
    /// `attempt` failed with `error`, and the next starts after `delay`.
    /// It is not called when the call gives up.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::{Policy, retry};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let mut log = Vec::new();
    /// let policy = Policy::constant(Duration::from_millis(5)).max_attempts(3);
    /// let _ = retry(policy, || async { Err::<(), _>("busy") })
    ///     .on_retry(|n, e: &&str, d| log.push(format!("attempt {n}: {e}, again in {d:?}")))
    ///     .await;
    /// assert_eq!(log, ["attempt 1: busy, again in 5ms", "attempt 2: busy, again in 5ms"]);
    /// # }
    /// ```
    pub fn on_retry<E, H2: FnMut(u32, &E, Duration)>(self, hook: H2) -> Retry<Op, Fut, W, H2, A> {
        Retry {
            op: self.op,
            future: self.future,
            sleep: self.sleep,
            policy: self.policy,
            rng: self.rng,
            when: self.when,
            on_retry: hook,
            retry_after: self.retry_after,
            attempts: self.attempts,
        }
    }

    /// Reads a "retry after" hint from an error (an HTTP 503's
    /// `Retry-After`, a broker's back-off): when `hint` returns
    /// `Some(delay)`, the retry waits `delay` instead of the backoff. The
    /// deadline still rules: a hint that would start the next attempt too
    /// late ends the call with [`Reason::Deadline`] at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::retry::{Policy, retry};
    /// use tokio::time::Instant;
    ///
    /// struct Busy { retry_after: Duration }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let start = Instant::now();
    /// let out = retry(Policy::new(), || async {
    ///     if start.elapsed().is_zero() {
    ///         Err(Busy { retry_after: Duration::from_secs(3) })
    ///     } else {
    ///         Ok(start.elapsed())
    ///     }
    /// })
    /// .retry_after(|e: &Busy| Some(e.retry_after))
    /// .await;
    /// assert_eq!(out.ok(), Some(Duration::from_secs(3)));
    /// # }
    /// ```
    pub fn retry_after<E, A2: FnMut(&E) -> Option<Duration>>(
        self,
        hint: A2,
    ) -> Retry<Op, Fut, W, H, A2> {
        Retry {
            op: self.op,
            future: self.future,
            sleep: self.sleep,
            policy: self.policy,
            rng: self.rng,
            when: self.when,
            on_retry: self.on_retry,
            retry_after: hint,
            attempts: self.attempts,
        }
    }
}

impl<Op, Fut, T, E, W, H, A> Future for Retry<Op, Fut, W, H, A>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    W: FnMut(&E) -> bool,
    H: FnMut(u32, &E, Duration),
    A: FnMut(&E) -> Option<Duration>,
{
    type Output = Result<T, RetryError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            if let Some(sleep) = this.sleep.as_mut() {
                ready!(sleep.as_mut().poll(cx));
                *this.sleep = None;
            }

            let output = {
                if this.future.is_none() {
                    if *this.attempts == 0 {
                        if let Some(budget) = &this.policy.budget {
                            budget.deposit();
                        }
                    }
                    *this.attempts += 1;
                }
                let _scope = Scope::enter(*this.attempts);
                if this.future.is_none() {
                    this.future.set(Some((this.op)()));
                }
                match this.future.as_mut().as_pin_mut() {
                    Some(future) => ready!(future.poll(cx)),
                    None => unreachable!("the attempt's future was just set"),
                }
            };
            this.future.set(None);

            let error = match output {
                Ok(value) => return Poll::Ready(Ok(value)),
                Err(error) => error,
            };
            let attempts = *this.attempts;
            let delay = match decide(
                this.policy,
                this.rng,
                attempts,
                &error,
                this.when,
                this.retry_after,
            ) {
                Ok(delay) => delay,
                Err(reason) => return Poll::Ready(Err(RetryError::new(reason, attempts, error))),
            };
            (this.on_retry)(attempts, &error, delay.0);
            drop(error);
            if let Some(start) = delay.1 {
                *this.sleep = Some(Box::pin(sleep_until(start)));
            }
        }
    }
}

/// Decides whether attempt `attempts`, failed with `error`, is retried: the
/// wait, and the instant to sleep until (`None` for no wait), or the reason
/// to give up. The budget is asked last, so a retry that the other rules
/// refuse costs it nothing.
fn decide<E>(
    policy: &Policy,
    rng: &mut Option<Rng>,
    attempts: u32,
    error: &E,
    when: &mut impl FnMut(&E) -> bool,
    retry_after: &mut impl FnMut(&E) -> Option<Duration>,
) -> Result<(Duration, Option<Instant>), Reason> {
    if !when(error) {
        return Err(Reason::Rejected);
    }
    if attempts >= policy.get_max_attempts() {
        return Err(Reason::Exhausted);
    }
    let delay = match retry_after(error) {
        Some(hint) => hint,
        None => policy.delay(attempts, rng),
    };
    let now = Instant::now();
    // A wait too long for the clock to represent passes any deadline.
    let start = now.checked_add(delay);
    if let Some(deadline) = crate::time::deadline() {
        match start.map(|s| deadline.saturating_duration_since(s)) {
            Some(left) if !left.is_zero() && left >= policy.get_min_budget() => {}
            _ => return Err(Reason::Deadline),
        }
    }
    if let Some(budget) = &policy.budget {
        if !budget.withdraw() {
            return Err(Reason::Budget);
        }
    }
    let until = if delay.is_zero() {
        None
    } else {
        Some(start.unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30)))
    };
    Ok((delay, until))
}

pin_project! {
    /// The first attempt of a `#[retry]` fn, run without the retry
    /// machinery: the happy path pays for the attempt number only, and the
    /// fn's future stays the size of its body (see [`resume`]).
    #[doc(hidden)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct FirstAttempt<F> {
        #[pin]
        future: F,
    }
}

/// Wraps the first attempt's future.
#[doc(hidden)]
#[inline]
pub fn first_attempt<F: Future>(future: F) -> FirstAttempt<F> {
    FirstAttempt { future }
}

impl<F: Future> Future for FirstAttempt<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let _scope = Scope::enter(1);
        self.project().future.poll(cx)
    }
}

/// Goes on after a [`first_attempt`] failed with `error`: decides on that
/// error as [`retry`] would have, then retries from attempt 2. `#[retry]`
/// boxes this future, so only a call that fails allocates, and only once.
#[doc(hidden)]
pub async fn resume<Op, Fut, T, E, W, H, A>(
    policy: Policy,
    op: Op,
    error: E,
    mut when: W,
    mut on_retry: H,
    mut retry_after: A,
) -> Result<T, RetryError<E>>
where
    Op: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    W: FnMut(&E) -> bool,
    H: FnMut(u32, &E, Duration),
    A: FnMut(&E) -> Option<Duration>,
{
    if let Some(budget) = &policy.budget {
        budget.deposit();
    }
    let mut rng = policy.rng();
    let (delay, until) = match decide(&policy, &mut rng, 1, &error, &mut when, &mut retry_after) {
        Ok(delay) => delay,
        Err(reason) => return Err(RetryError::new(reason, 1, error)),
    };
    on_retry(1, &error, delay);
    drop(error);
    Retry {
        op,
        future: None,
        sleep: until.map(|until| Box::pin(sleep_until(until))),
        policy,
        rng,
        when,
        on_retry,
        retry_after,
        attempts: 1,
    }
    .await
}

impl<Op, Fut, W, H, A> fmt::Debug for Retry<Op, Fut, W, H, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("policy", &self.policy)
            .field("attempts", &self.attempts)
            .field("sleeping", &self.sleep.is_some())
            .finish_non_exhaustive()
    }
}
