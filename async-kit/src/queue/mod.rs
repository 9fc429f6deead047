//! Producer/consumer queues with asyncio's `task_done` / `join`: [`Queue`]
//! (first in, first out), [`PriorityQueue`] (smallest first) and
//! [`LifoQueue`] (last in, first out).
//!
//! All three share one core and one API: bounded or unbounded, any number of
//! producers and consumers through cheap clonable handles, a cancel-safe
//! [`get`](Queue::get), a cancel-safe way to put ([`reserve`](Queue::reserve)
//! then [`Permit::put`]), a [`Stream`](futures_core::Stream) of items, batch
//! forms, a guarded get whose [`TaskGuard`] marks the task done when
//! dropped, and Python 3.13's two shutdowns.
//!
//! # Examples
//!
//! ```
//! use async_kit::queue::Queue;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let queue = Queue::bounded(16);
//! let mut workers = Vec::new();
//! for _ in 0..4 {
//!     let queue = queue.clone();
//!     workers.push(tokio::spawn(async move {
//!         let mut handled = 0;
//!         while let Ok(_url) = queue.get_guarded().await {
//!             handled += 1;
//!         }
//!         handled
//!     }));
//! }
//! for i in 0..100 {
//!     queue.put(format!("https://example.com/{i}")).await.unwrap();
//! }
//! queue.join().await; // every item handled
//! queue.shutdown(); // the workers' gets now fail: they return
//! let mut total = 0;
//! for worker in workers {
//!     total += worker.await.unwrap();
//! }
//! assert_eq!(total, 100);
//! # }
//! ```

mod api;
mod error;
mod guard;
mod lifo;
mod permit;
mod priority;
// One file per public type: `Queue` lives in `queue/queue.rs`.
#[allow(clippy::module_inception)]
mod queue;
mod shared;
mod stream;
mod sync;

pub use error::{PutError, ShutDown, TaskDoneError, TryGetError, TryPutError};
pub use guard::TaskGuard;
pub use lifo::LifoQueue;
pub use permit::Permit;
pub use priority::PriorityQueue;
pub use queue::Queue;
pub use stream::QueueStream;
