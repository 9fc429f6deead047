//! The crate's error type, in tokio's shape: a documented enum of causes with
//! lower-case messages.

use std::fmt;

/// The error of every call that talks to Redis.
///
/// Each variant is one cause a caller may want to treat differently:
///
/// - [`Connect`](Error::Connect): the first connection could not be made (a
///   malformed URL, nothing listening, a refused password). The message names
///   the URL, with any password hidden.
/// - [`ConnectionLost`](Error::ConnectionLost): an established connection
///   broke or timed out during the call. The client reconnects by itself on
///   the next call; the call that failed may or may not have taken effect in
///   Redis (for a put, see the queue's at-least-once notes).
/// - [`Redis`](Error::Redis): Redis answered with an error (a wrong type at a
///   key, a script error, out of memory).
/// - [`Decode`](Error::Decode): an entry's bytes are not a valid item. The
///   raw bytes are kept in the [`DecodeError`]; other items are unaffected.
/// - [`Encode`](Error::Encode): an item could not be serialised (serde_json
///   refuses, for example, a map with non-string keys).
/// - [`ShutDown`](Error::ShutDown), [`Full`](Error::Full),
///   [`Empty`](Error::Empty): the queue's own answers, as for
///   [`async_kit::Queue`].
/// - [`PriorityOutOfRange`](Error::PriorityOutOfRange): a priority queue's
///   put was given a priority a Redis score does not hold exactly.
/// - [`NoSlot`](Error::NoSlot), [`Elapsed`](Error::Elapsed): the limiter's
///   `try_acquire` and `acquire_timeout` found no free slot.
///
/// # Examples
///
/// ```
/// use async_kit_redis::{Error, Redis};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let err = Redis::connect("http://127.0.0.1:6379").await.unwrap_err();
/// assert!(matches!(err, Error::Connect { .. }));
/// assert!(err.to_string().starts_with("cannot connect to redis at http://127.0.0.1:6379"));
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The connection to `url` could not be made.
    Connect {
        /// The URL that was given, with any password replaced by `***`.
        url: String,
        /// What the client reported.
        source: redis::RedisError,
    },
    /// The connection broke or timed out during the call.
    ConnectionLost(redis::RedisError),
    /// Redis answered with an error.
    Redis(redis::RedisError),
    /// An entry could not be decoded into an item.
    Decode(DecodeError),
    /// An item could not be encoded.
    Encode(serde_json::Error),
    /// The queue is shut down (for a get: and nothing is left to drain).
    ShutDown,
    /// A `try_put` found the queue holding `capacity` items.
    Full,
    /// A `try_get` found no item waiting.
    Empty,
    /// A [`RedisPriorityQueue`](crate::RedisPriorityQueue) put was given this
    /// priority, beyond [`MAX_PRIORITY`](crate::RedisPriorityQueue::MAX_PRIORITY)
    /// either way.
    PriorityOutOfRange(i64),
    /// A `try_acquire` found every slot of the limiter held.
    NoSlot,
    /// An `acquire_timeout` found no free slot in time.
    Elapsed(tokio::time::error::Elapsed),
}

impl Error {
    /// Sorts an error of the client into [`ConnectionLost`](Error::ConnectionLost)
    /// or [`Redis`](Error::Redis).
    pub(crate) fn from_redis(err: redis::RedisError) -> Self {
        if err.is_io_error()
            || err.is_connection_dropped()
            || err.is_connection_refusal()
            || err.is_timeout()
        {
            Error::ConnectionLost(err)
        } else {
            Error::Redis(err)
        }
    }

    /// The error of a failed first connection to `url`.
    pub(crate) fn connect(url: &str, source: redis::RedisError) -> Self {
        Error::Connect {
            url: redact(url),
            source,
        }
    }

    /// Returns `true` if the connection broke or could not be made, so that
    /// trying again later may succeed.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::Redis;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// // Nothing listens on port 1.
    /// let err = Redis::connect("redis://127.0.0.1:1").await.unwrap_err();
    /// assert!(err.is_connection());
    /// # }
    /// ```
    pub fn is_connection(&self) -> bool {
        matches!(self, Error::Connect { .. } | Error::ConnectionLost(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect { url, source } => {
                write!(f, "cannot connect to redis at {url}: {source}")
            }
            Error::ConnectionLost(source) => write!(f, "connection to redis lost: {source}"),
            Error::Redis(source) => write!(f, "redis error: {source}"),
            Error::Decode(err) => fmt::Display::fmt(err, f),
            Error::Encode(err) => write!(f, "cannot encode item: {err}"),
            Error::ShutDown => f.write_str("queue is shut down"),
            Error::Full => f.write_str("queue is full"),
            Error::Empty => f.write_str("queue is empty"),
            Error::PriorityOutOfRange(priority) => write!(
                f,
                "priority {priority} is out of range (a redis score holds -2^53..=2^53 exactly)"
            ),
            Error::NoSlot => f.write_str("no slot of the limiter is free"),
            Error::Elapsed(_) => f.write_str("no slot of the limiter freed in time"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect { source, .. }
            | Error::ConnectionLost(source)
            | Error::Redis(source) => Some(source),
            Error::Decode(err) => Some(err),
            Error::Encode(err) => Some(err),
            Error::Elapsed(err) => Some(err),
            Error::ShutDown
            | Error::Full
            | Error::Empty
            | Error::PriorityOutOfRange(_)
            | Error::NoSlot => None,
        }
    }
}

impl From<DecodeError> for Error {
    fn from(err: DecodeError) -> Self {
        Error::Decode(err)
    }
}

/// An entry whose bytes are not a valid item: its id, its raw bytes and the
/// codec's complaint.
///
/// The entry is not dropped by the failure: it stays where it was (for a
/// queue, delivered to this consumer and unacknowledged), so nothing is lost
/// and the caller decides what to do with the bytes.
///
/// # Examples
///
/// ```
/// use async_kit_redis::DecodeError;
///
/// let err = DecodeError::new("1-0", b"{not json".to_vec(), "expected value");
/// assert_eq!(err.id(), "1-0");
/// assert_eq!(err.raw(), b"{not json");
/// assert_eq!(err.to_string(), "cannot decode entry 1-0: expected value");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    id: String,
    raw: Vec<u8>,
    reason: String,
}

impl DecodeError {
    /// Creates the error of the entry `id` whose bytes `raw` did not decode,
    /// for the reason `reason`.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::DecodeError;
    ///
    /// let err = DecodeError::new("7-1", vec![0xff], "invalid utf-8");
    /// assert_eq!(err.reason(), "invalid utf-8");
    /// ```
    pub fn new(id: impl Into<String>, raw: Vec<u8>, reason: impl fmt::Display) -> Self {
        DecodeError {
            id: id.into(),
            raw,
            reason: reason.to_string(),
        }
    }

    /// Returns the id of the entry in Redis.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::DecodeError;
    ///
    /// assert_eq!(DecodeError::new("3-0", vec![], "empty").id(), "3-0");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns the entry's bytes as they are stored in Redis.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::DecodeError;
    ///
    /// assert_eq!(DecodeError::new("3-0", b"x".to_vec(), "bad").raw(), b"x");
    /// ```
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Returns the entry's bytes, consuming the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::DecodeError;
    ///
    /// assert_eq!(DecodeError::new("3-0", b"x".to_vec(), "bad").into_raw(), b"x");
    /// ```
    pub fn into_raw(self) -> Vec<u8> {
        self.raw
    }

    /// Returns what the codec reported.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::DecodeError;
    ///
    /// assert_eq!(DecodeError::new("3-0", vec![], "eof").reason(), "eof");
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode entry {}: {}", self.id, self.reason)
    }
}

impl std::error::Error for DecodeError {}

/// Hides the password of a `scheme://user:password@host` URL.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    match authority[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            redact("redis://alice:secret@127.0.0.1:6379/0"),
            "redis://alice:***@127.0.0.1:6379/0"
        );
        assert_eq!(
            redact("redis://:secret@127.0.0.1"),
            "redis://:***@127.0.0.1"
        );
        assert_eq!(redact("redis://alice@127.0.0.1"), "redis://alice@127.0.0.1");
        assert_eq!(redact("not a url"), "not a url");
    }
}
