//! The bridge from plain threads into async code.
//!
//! Sync code (a thread, a callback from a C library, a GUI loop) sometimes
//! needs to hand work to an event loop and wait for the answer: asyncio's
//! `run_coroutine_threadsafe` and `concurrent.futures`. A
//! [`BackgroundRuntime`] runs a tokio runtime on threads of its own (or
//! submits to one that already runs), and any thread can
//! [`submit`](BackgroundRuntime::submit) a future to it and get a
//! [`Submission`] to block on, await, or cancel.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use async_kit::bridge::BackgroundRuntime;
//!
//! let runtime = BackgroundRuntime::new().unwrap();
//! // A plain thread, e.g. a GUI loop, hands a job to the runtime.
//! let job = runtime
//!     .submit(async {
//!         tokio::time::sleep(Duration::from_millis(1)).await;
//!         "fetched"
//!     })
//!     .unwrap();
//! assert_eq!(job.wait().unwrap(), "fetched");
//! let report = runtime.shutdown(Duration::from_secs(1));
//! assert_eq!(report.cancelled, 0);
//! ```

mod error;
mod report;
mod runtime;
mod submission;

pub use error::SubmitError;
pub use report::ShutdownReport;
pub use runtime::BackgroundRuntime;
pub use submission::Submission;
