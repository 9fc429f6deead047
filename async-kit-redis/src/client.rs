//! `Redis`: the handle a process opens once and shares between its queues and
//! limiters.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::Error;

/// A connection to one Redis server, shared by every queue and limiter a
/// process opens on it.
///
/// It holds a multiplexed connection that reconnects by itself after the
/// server restarts (an operation in flight during the cut returns
/// [`Error::ConnectionLost`]; the next one reconnects). Blocking waits and
/// subscriptions use connections of their own, so they never hold up other
/// calls.
///
/// `Redis` is cheap to clone (an `Arc` inside); the connection closes when
/// the last clone, and the last queue or limiter opened on it, is dropped.
///
/// # Examples
///
/// ```no_run
/// use async_kit_redis::Redis;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// assert_eq!(redis.url(), "redis://127.0.0.1:6379");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    manager: ConnectionManager,
    url: String,
}

/// How long one attempt to reach the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl Redis {
    /// Connects to the server at `url` (`redis://host:port/db`, with an
    /// optional `user:password@`) and checks that it answers.
    ///
    /// A malformed URL, a server that does not answer or refuses the
    /// credentials gives [`Error::Connect`], naming the URL (its password
    /// hidden). The first attempt is not retried: a wrong URL fails at once.
    /// Later cuts are retried by the connection itself.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: cancelling it only drops the connection
    /// being made.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit_redis::{Error, Redis};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = Redis::connect("redis://127.0.0.1:1").await.unwrap_err();
    /// assert!(matches!(err, Error::Connect { ref url, .. } if url == "redis://127.0.0.1:1"));
    /// # }
    /// ```
    pub async fn connect(url: &str) -> Result<Redis, Error> {
        let client = redis::Client::open(url).map_err(|err| Error::connect(url, err))?;
        // A plain connection first, so that a wrong URL fails at once rather
        // than after the manager's reconnection back-off.
        let probe_config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(CONNECT_TIMEOUT));
        let mut probe = client
            .get_multiplexed_async_connection_with_config(&probe_config)
            .await
            .map_err(|err| Error::connect(url, err))?;
        redis::cmd("PING")
            .query_async::<()>(&mut probe)
            .await
            .map_err(|err| Error::connect(url, err))?;
        drop(probe);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(None);
        let manager = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(|err| Error::connect(url, err))?;
        Ok(Redis {
            inner: Arc::new(Inner {
                client,
                manager,
                url: crate::error::redact(url),
            }),
        })
    }

    /// Returns the URL this handle connected to, with any password replaced
    /// by `***`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use async_kit_redis::Redis;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// let redis = Redis::connect("redis://:secret@127.0.0.1:6379").await?;
    /// assert_eq!(redis.url(), "redis://:***@127.0.0.1:6379");
    /// # Ok(())
    /// # }
    /// ```
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The shared multiplexed connection (a cheap clone).
    pub(crate) fn manager(&self) -> ConnectionManager {
        self.inner.manager.clone()
    }

    /// The client, for connections of their own (blocking reads, pub/sub).
    pub(crate) fn client(&self) -> &redis::Client {
        &self.inner.client
    }
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("url", &self.inner.url)
            .finish()
    }
}
