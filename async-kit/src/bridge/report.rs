/// What [`BackgroundRuntime::shutdown`](super::BackgroundRuntime::shutdown)
/// did with the work in flight when it was called.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::bridge::{BackgroundRuntime, ShutdownReport};
///
/// let runtime = BackgroundRuntime::new().unwrap();
/// let _forever = runtime.submit(std::future::pending::<()>()).unwrap();
/// let report: ShutdownReport = runtime.shutdown(Duration::from_millis(10));
/// assert_eq!((report.finished, report.cancelled), (0, 1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Submitted futures that were in flight at the call and finished before
    /// the deadline.
    pub finished: usize,
    /// Submitted futures that were still in flight at the deadline and were
    /// cancelled.
    pub cancelled: usize,
}
