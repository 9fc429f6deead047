use std::fmt;

use super::error::PutError;
use super::shared::Handle;

/// A slot reserved in a queue by [`Queue::reserve`](super::Queue::reserve)
/// (or the same method of the other queues); [`Permit::put`] fills it
/// without waiting.
///
/// Reserving first is the cancel-safe way to put: the wait happens before
/// the item is handed over, so a cancelled wait loses no item. A reserved
/// slot counts against the capacity until it is filled or the permit is
/// dropped, which gives the slot back.
///
/// # Examples
///
/// ```
/// use async_kit::queue::Queue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let queue = Queue::bounded(1);
/// let permit = queue.reserve().await.unwrap();
/// assert!(queue.is_full());
/// permit.put("job").unwrap();
/// assert_eq!(queue.get().await, Ok("job"));
/// # }
/// ```
#[must_use = "dropping a permit gives its slot back"]
pub struct Permit<'a, Q: Handle> {
    queue: &'a Q,
    used: bool,
}

impl<'a, Q: Handle> Permit<'a, Q> {
    pub(crate) fn new(queue: &'a Q) -> Self {
        Permit { queue, used: false }
    }

    /// Puts `item` into the reserved slot, without waiting.
    ///
    /// Fails, handing the item back, only if the queue was shut down since
    /// the slot was reserved.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Queue::bounded(4);
    /// let permit = queue.reserve().await.unwrap();
    /// queue.shutdown();
    /// assert_eq!(permit.put(1).unwrap_err().into_inner(), 1);
    /// # }
    /// ```
    pub fn put(mut self, item: Q::Item) -> Result<(), PutError<Q::Item>> {
        self.used = true;
        self.queue.shared().put_reserved(item)
    }
}

impl<Q: Handle> Drop for Permit<'_, Q> {
    fn drop(&mut self) {
        if !self.used {
            self.queue.shared().release_reserved();
        }
    }
}

impl<Q: Handle> fmt::Debug for Permit<'_, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}
