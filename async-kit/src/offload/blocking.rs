use std::future::Future;

use tokio::task::JoinHandle;

use super::error::OffloadError;

/// Runs blocking I/O `f` on tokio's blocking pool, and returns a future of
/// its result.
///
/// This is [`tokio::task::spawn_blocking`] under a name that says what it is
/// for, with the errors of [`offload`](super::offload): a panic comes back as
/// an [`OffloadError`] carrying the payload, and a job cancelled by the
/// runtime's shutdown as [`OffloadError::is_cancelled`]. The job is
/// submitted at once. Use it for blocking I/O (files, blocking clients, a
/// C library that waits); use [`offload`](super::offload) for computation,
/// which should not share a pool of up to 512 threads with I/O.
///
/// Dropping the future before the job has started skips the job (it is
/// aborted); once it runs, it runs to its end and its result is dropped.
///
/// # Panics
///
/// Panics if called outside of a tokio runtime.
///
/// # Cancel safety
///
/// Dropping the future before the job starts skips the job; dropping it
/// later loses the result.
///
/// # Examples
///
/// ```
/// use async_kit::offload::offload_blocking;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let dir = std::env::temp_dir();
/// let exists = offload_blocking(move || std::fs::metadata(dir).is_ok()).await;
/// assert_eq!(exists.unwrap(), true);
/// # }
/// ```
#[track_caller]
pub fn offload_blocking<F, R>(
    f: F,
) -> impl Future<Output = Result<R, OffloadError>> + Send + 'static
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let mut job = AbortOnDrop(tokio::task::spawn_blocking(f));
    async move {
        (&mut job.0).await.map_err(|err| {
            if err.is_panic() {
                OffloadError::panicked(err.into_panic())
            } else {
                OffloadError::cancelled()
            }
        })
    }
}

// Aborting a blocking task skips it if it has not started; a running one is
// not affected.
struct AbortOnDrop<R>(JoinHandle<R>);

impl<R> Drop for AbortOnDrop<R> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
