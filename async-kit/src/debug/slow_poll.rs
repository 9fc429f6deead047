use std::fmt;
use std::time::Duration;

/// One poll that took longer than its threshold, as reported by
/// [`WarnSlowExt::warn_slow_polls`](super::WarnSlowExt::warn_slow_polls).
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use async_kit::debug::WarnSlowExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let seen = Arc::new(Mutex::new(None));
/// let log = Arc::clone(&seen);
/// async { std::thread::sleep(Duration::from_millis(10)) }
///     .warn_slow_polls(Duration::from_millis(2))
///     .named("resize")
///     .on_slow_poll(move |slow| {
///         *log.lock().unwrap() = Some((slow.name().to_owned(), slow.poll(), slow.took()));
///     })
///     .await;
/// let (name, poll, took) = seen.lock().unwrap().clone().unwrap();
/// assert_eq!((name.as_str(), poll), ("resize", 1));
/// assert!(took >= Duration::from_millis(10));
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SlowPoll<'a> {
    pub(crate) name: &'a str,
    pub(crate) poll: u64,
    pub(crate) took: Duration,
    pub(crate) threshold: Duration,
}

impl SlowPoll<'_> {
    /// Returns the name of the future (see
    /// [`WarnSlow::named`](super::WarnSlow::named)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let seen = Arc::new(Mutex::new(None));
    /// let log = Arc::clone(&seen);
    /// async { std::thread::sleep(Duration::from_millis(3)) }
    ///     .warn_slow_polls(Duration::from_millis(1))
    ///     .named("decode")
    ///     .on_slow_poll(move |slow| *log.lock().unwrap() = Some(slow.name().to_owned()))
    ///     .await;
    /// assert_eq!(seen.lock().unwrap().as_deref(), Some("decode"));
    /// # }
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        self.name
    }

    /// Returns which poll of the future this was, counting from 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let seen = Arc::new(Mutex::new(None));
    /// let log = Arc::clone(&seen);
    /// async { std::thread::sleep(Duration::from_millis(3)) }
    ///     .warn_slow_polls(Duration::from_millis(1))
    ///     .named("decode")
    ///     .on_slow_poll(move |slow| *log.lock().unwrap() = Some(slow.poll()))
    ///     .await;
    /// // The first poll of the future blocked.
    /// assert_eq!(*seen.lock().unwrap(), Some(1));
    /// # }
    /// ```
    #[must_use]
    pub fn poll(&self) -> u64 {
        self.poll
    }

    /// Returns how long the poll took.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let seen = Arc::new(Mutex::new(None));
    /// let log = Arc::clone(&seen);
    /// async { std::thread::sleep(Duration::from_millis(3)) }
    ///     .warn_slow_polls(Duration::from_millis(1))
    ///     .named("decode")
    ///     .on_slow_poll(move |slow| *log.lock().unwrap() = Some(slow.took()))
    ///     .await;
    /// // `thread::sleep` never returns early.
    /// assert!(seen.lock().unwrap().unwrap() >= Duration::from_millis(3));
    /// # }
    /// ```
    #[must_use]
    pub fn took(&self) -> Duration {
        self.took
    }

    /// Returns the threshold the poll exceeded.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use async_kit::debug::WarnSlowExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let seen = Arc::new(Mutex::new(None));
    /// let log = Arc::clone(&seen);
    /// async { std::thread::sleep(Duration::from_millis(3)) }
    ///     .warn_slow_polls(Duration::from_millis(1))
    ///     .on_slow_poll(move |slow| *log.lock().unwrap() = Some(slow.threshold()))
    ///     .await;
    /// assert_eq!(*seen.lock().unwrap(), Some(Duration::from_millis(1)));
    /// # }
    /// ```
    #[must_use]
    pub fn threshold(&self) -> Duration {
        self.threshold
    }
}

impl fmt::Display for SlowPoll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "poll {} of `{}` took {:?}, over the threshold of {:?}: it blocked its worker",
            self.poll, self.name, self.took, self.threshold
        )
    }
}
