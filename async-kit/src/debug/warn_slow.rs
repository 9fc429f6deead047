use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::slow_poll::SlowPoll;

type Callback = Arc<dyn Fn(&SlowPoll<'_>) + Send + Sync>;

pin_project! {
    /// Future for [`WarnSlowExt::warn_slow_polls`](super::WarnSlowExt::warn_slow_polls).
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WarnSlow<F> {
        #[pin]
        future: F,
        threshold: Duration,
        name: Cow<'static, str>,
        callback: Option<Callback>,
        polls: u64,
    }
}

impl<F> WarnSlow<F> {
    pub(crate) fn new(future: F, threshold: Duration) -> Self {
        WarnSlow {
            future,
            threshold,
            name: Cow::Borrowed(std::any::type_name::<F>()),
            callback: None,
            polls: 0,
        }
    }

    /// Names the future in reports; the default is its type name.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// let job = async {}.warn_slow_polls(Duration::from_millis(5)).named("load_config");
    /// assert_eq!(job.name(), "load_config");
    /// ```
    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Sends reports to `callback` instead of the default warning.
    ///
    /// The callback runs on the thread that polled, right after the slow
    /// poll; it should be quick (record, count, log).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let slow_polls = Arc::new(AtomicU64::new(0));
    /// let count = Arc::clone(&slow_polls);
    /// async { std::thread::sleep(Duration::from_millis(3)) }
    ///     .warn_slow_polls(Duration::from_millis(1))
    ///     .on_slow_poll(move |_| { count.fetch_add(1, Ordering::Relaxed); })
    ///     .await;
    /// assert_eq!(slow_polls.load(Ordering::Relaxed), 1);
    /// # }
    /// ```
    pub fn on_slow_poll(
        mut self,
        callback: impl Fn(&SlowPoll<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.callback = Some(Arc::new(callback));
        self
    }

    /// Returns the name used in reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// async fn fetch_page() {}
    ///
    /// let job = fetch_page().warn_slow_polls(Duration::from_millis(5));
    /// assert!(job.name().contains("fetch_page"));
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the threshold over which a poll is reported.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// let job = async {}.warn_slow_polls(Duration::from_millis(5));
    /// assert_eq!(job.threshold(), Duration::from_millis(5));
    /// ```
    #[must_use]
    pub fn threshold(&self) -> Duration {
        self.threshold
    }

    /// Consumes the wrapper, returning the inner future.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// let job = std::future::ready(3).warn_slow_polls(Duration::from_millis(5));
    /// assert_eq!(job.into_inner().into_inner(), 3);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for WarnSlow<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let start = Instant::now();
        let poll = this.future.poll(cx);
        let took = start.elapsed();
        *this.polls += 1;
        if took > *this.threshold {
            report(
                &SlowPoll {
                    name: this.name,
                    poll: *this.polls,
                    took,
                    threshold: *this.threshold,
                },
                this.callback.as_deref(),
            );
        }
        poll
    }
}

#[cold]
#[inline(never)]
fn report(slow: &SlowPoll<'_>, callback: Option<&(dyn Fn(&SlowPoll<'_>) + Send + Sync)>) {
    match callback {
        Some(callback) => callback(slow),
        None => default_report(slow),
    }
}

#[cfg(feature = "tracing")]
fn default_report(slow: &SlowPoll<'_>) {
    tracing::warn!(
        future = slow.name(),
        poll = slow.poll(),
        took_ms = slow.took().as_secs_f64() * 1e3,
        threshold_ms = slow.threshold().as_secs_f64() * 1e3,
        "slow poll: {slow}"
    );
}

#[cfg(not(feature = "tracing"))]
fn default_report(slow: &SlowPoll<'_>) {
    eprintln!("async-kit: slow poll: {slow}");
}

impl<F: fmt::Debug> fmt::Debug for WarnSlow<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WarnSlow")
            .field("future", &self.future)
            .field("name", &self.name)
            .field("threshold", &self.threshold)
            .field("polls", &self.polls)
            .finish_non_exhaustive()
    }
}
