use std::fmt;
use std::ops::{Deref, DerefMut};

use super::shared::Tasks;

/// An item taken with [`Queue::get_guarded`](super::Queue::get_guarded)
/// (or the same method of the other queues): marks its task done when
/// dropped.
///
/// The guard derefs to the item. Whether the consumer finishes, returns
/// early with `?`, or panics, the drop marks the task done, so
/// [`join`](super::Queue::join) cannot hang on a lost `task_done`.
/// [`TaskGuard::into_inner`] marks it done at once and hands the item over.
///
/// If `task_done` was also called by hand for this item, the count may
/// already be zero when the guard drops; the guard then marks nothing (it
/// cannot report the error from `drop`).
///
/// # Examples
///
/// ```
/// use async_kit::queue::Queue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let queue = Queue::unbounded();
/// queue.put(String::from("job")).await.unwrap();
/// {
///     let job = queue.get_guarded().await.unwrap();
///     assert_eq!(job.len(), 3);
///     // Dropped here: the task is done.
/// }
/// queue.join().await;
/// # }
/// ```
#[must_use = "dropping the guard marks the task done at once"]
pub struct TaskGuard<'a, T> {
    item: Option<T>,
    tasks: &'a Tasks,
}

impl<'a, T> TaskGuard<'a, T> {
    pub(crate) fn new(item: T, tasks: &'a Tasks) -> Self {
        TaskGuard {
            item: Some(item),
            tasks,
        }
    }

    /// Marks the task done and returns the item.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_kit::queue::Queue;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Queue::unbounded();
    /// queue.put(7).await.unwrap();
    /// let guard = queue.get_guarded().await.unwrap();
    /// assert_eq!(guard.into_inner(), 7);
    /// queue.join().await; // already done
    /// # }
    /// ```
    pub fn into_inner(mut self) -> T {
        let item = self.item.take().expect("the item is taken only once");
        let _ = self.tasks.done();
        item
    }
}

impl<T> Deref for TaskGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.item.as_ref().expect("the item is taken only once")
    }
}

impl<T> DerefMut for TaskGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.item.as_mut().expect("the item is taken only once")
    }
}

impl<T> Drop for TaskGuard<'_, T> {
    fn drop(&mut self) {
        if self.item.is_some() {
            // Marks the task done before the item is dropped, like
            // `into_inner`. An error means that `task_done` was called by
            // hand for this item too; nothing is left to mark.
            let _ = self.tasks.done();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for TaskGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.item {
            Some(item) => f.debug_tuple("TaskGuard").field(item).finish(),
            None => f.write_str("TaskGuard(..)"),
        }
    }
}
