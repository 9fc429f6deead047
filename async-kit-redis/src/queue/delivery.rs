//! What a get hands out: the item with its entry id, and the guard that
//! acknowledges on drop.

use std::fmt;
use std::ops::Deref;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::RedisQueue;
use crate::Error;

/// An item taken from a [`RedisQueue`] or a
/// [`RedisPriorityQueue`](crate::RedisPriorityQueue), with the id of its
/// entry in Redis.
///
/// The item stays *delivered, not acknowledged* until
/// [`RedisQueue::task_done`] (or the priority queue's) is called with
/// [`id`](Delivery::id): if this
/// consumer dies first, the item goes to another consumer once its lease
/// (the queue's visibility timeout) expires.
///
/// # Examples
///
/// ```no_run
/// use async_kit_redis::{Redis, RedisQueue};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// let queue: RedisQueue<String> = RedisQueue::open(&redis, "jobs").await?;
/// queue.put("fetch /aio".to_owned()).await.map_err(|err| err.into_parts().0)?;
/// let job = queue.get().await?;
/// assert_eq!(*job, "fetch /aio");
/// queue.task_done(job.id()).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery<T> {
    pub(crate) id: String,
    pub(crate) item: T,
}

impl<T> Delivery<T> {
    /// Returns the id of the item's entry, for
    /// [`task_done`](RedisQueue::task_done) and
    /// [`extend_lease`](RedisQueue::extend_lease).
    ///
    /// # Examples
    ///
    /// See [`Delivery`].
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns the item; keep the [`id`](Delivery::id) first if it is still
    /// to be acknowledged.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use async_kit_redis::{Redis, RedisQueue};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), async_kit_redis::Error> {
    /// # let redis = Redis::connect("redis://127.0.0.1:6379").await?;
    /// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "numbers").await?;
    /// queue.put(5).await.map_err(|err| err.into_parts().0)?;
    /// let delivery = queue.get().await?;
    /// let id = delivery.id().to_owned();
    /// assert_eq!(delivery.into_inner(), 5);
    /// queue.task_done(&id).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_inner(self) -> T {
        self.item
    }
}

impl<T> Deref for Delivery<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.item
    }
}

/// An item taken with [`RedisQueue::get_guarded`] or
/// [`RedisPriorityQueue::get_guarded`](crate::RedisPriorityQueue::get_guarded):
/// acknowledges it when dropped.
///
/// Whether the consumer finishes, returns early with `?` or panics, the drop
/// acknowledges the item (in a task spawned on the current tokio runtime,
/// since a drop cannot wait; with no runtime the item is left to be
/// redelivered after its lease). [`done`](DeliveryGuard::done) acknowledges
/// and reports the outcome.
///
/// # Examples
///
/// ```no_run
/// use async_kit_redis::{Redis, RedisQueue};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), async_kit_redis::Error> {
/// let redis = Redis::connect("redis://127.0.0.1:6379").await?;
/// let queue: RedisQueue<u32> = RedisQueue::open(&redis, "guarded").await?;
/// queue.put(3).await.map_err(|err| err.into_parts().0)?;
/// let job = queue.get_guarded().await?;
/// assert_eq!(*job, 3);
/// assert!(job.done().await?);
/// queue.join().await?;
/// # Ok(())
/// # }
/// ```
pub struct DeliveryGuard<T: Serialize + DeserializeOwned + Send + 'static> {
    pub(crate) queue: RedisQueue<T>,
    pub(crate) delivery: Option<Delivery<T>>,
}

impl<T: Serialize + DeserializeOwned + Send + 'static> DeliveryGuard<T> {
    /// Returns the id of the item's entry.
    ///
    /// # Examples
    ///
    /// See [`DeliveryGuard`].
    pub fn id(&self) -> &str {
        &self.delivery().id
    }

    /// Acknowledges the item now and returns whether this call did it
    /// (`false` if it had been acknowledged already, for example by a
    /// consumer that received it again after this one's lease expired).
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the acknowledgement may or may not have reached Redis;
    /// an item not acknowledged is redelivered after its lease.
    ///
    /// # Examples
    ///
    /// See [`DeliveryGuard`].
    pub async fn done(mut self) -> Result<bool, Error> {
        let delivery = self.delivery.take().expect("the guard holds its delivery");
        self.queue.task_done(&delivery.id).await
    }

    fn delivery(&self) -> &Delivery<T> {
        self.delivery
            .as_ref()
            .expect("the guard holds its delivery until dropped")
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Deref for DeliveryGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.delivery().item
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Drop for DeliveryGuard<T> {
    fn drop(&mut self) {
        let Some(delivery) = self.delivery.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let queue = self.queue.clone();
            runtime.spawn(async move {
                let _ = queue.task_done(&delivery.id).await;
            });
        }
    }
}

impl<T: Serialize + DeserializeOwned + Send + fmt::Debug + 'static> fmt::Debug
    for DeliveryGuard<T>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryGuard")
            .field("delivery", &self.delivery)
            .finish_non_exhaustive()
    }
}
