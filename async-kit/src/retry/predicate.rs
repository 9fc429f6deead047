//! Ready-made predicates for [`Retry::when`](super::Retry::when).

use std::error::Error;
use std::io;

use crate::time::Elapsed;

/// Walks `err` and its sources, looking inside `io::Error`s too (whose
/// `source` skips the error they wrap).
fn any_in_chain(
    err: &(dyn Error + 'static),
    test: &dyn Fn(&(dyn Error + 'static)) -> bool,
) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if test(e) {
            return true;
        }
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            if any_in_chain(inner, test) {
                return true;
            }
        }
        next = e.source();
    }
    false
}

fn has_io_kind(err: &(dyn Error + 'static), kinds: &[io::ErrorKind]) -> bool {
    any_in_chain(err, &|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| kinds.contains(&io.kind()))
    })
}

/// Returns `true` for an error that is, or is caused by, an
/// [`io::Error`] of kind [`TimedOut`](io::ErrorKind::TimedOut),
/// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) or
/// [`ConnectionReset`](io::ErrorKind::ConnectionReset), or our [`Elapsed`]:
/// the failures that a second try often cures.
///
/// The error's [`source`](Error::source) chain is searched, so a wrapping
/// error type that keeps its cause as the source works too.
///
/// # Examples
///
/// ```
/// use std::io;
/// use async_kit::retry::is_transient;
///
/// assert!(is_transient(&io::Error::from(io::ErrorKind::ConnectionReset)));
/// assert!(!is_transient(&io::Error::from(io::ErrorKind::NotFound)));
/// ```
pub fn is_transient<E: Error + 'static>(err: &E) -> bool {
    has_io_kind(
        err,
        &[
            io::ErrorKind::TimedOut,
            io::ErrorKind::ConnectionRefused,
            io::ErrorKind::ConnectionReset,
        ],
    ) || is_elapsed(err)
}

/// Returns `true` for an error that is, or is caused by, an [`io::Error`] of
/// kind [`TimedOut`](io::ErrorKind::TimedOut) (an [`Elapsed`] converted into
/// `io::Error` is one).
///
/// # Examples
///
/// ```
/// use std::io;
/// use async_kit::retry::is_timed_out;
///
/// assert!(is_timed_out(&io::Error::from(io::ErrorKind::TimedOut)));
/// assert!(!is_timed_out(&io::Error::from(io::ErrorKind::ConnectionReset)));
/// ```
pub fn is_timed_out<E: Error + 'static>(err: &E) -> bool {
    has_io_kind(err, &[io::ErrorKind::TimedOut])
}

/// Returns `true` for an error that is, or is caused by, an [`io::Error`] of
/// kind [`ConnectionRefused`](io::ErrorKind::ConnectionRefused).
///
/// # Examples
///
/// ```
/// use std::io;
/// use async_kit::retry::is_connection_refused;
///
/// assert!(is_connection_refused(&io::Error::from(io::ErrorKind::ConnectionRefused)));
/// assert!(!is_connection_refused(&io::Error::from(io::ErrorKind::TimedOut)));
/// ```
pub fn is_connection_refused<E: Error + 'static>(err: &E) -> bool {
    has_io_kind(err, &[io::ErrorKind::ConnectionRefused])
}

/// Returns `true` for an error that is, or is caused by, an [`io::Error`] of
/// kind [`ConnectionReset`](io::ErrorKind::ConnectionReset).
///
/// # Examples
///
/// ```
/// use std::io;
/// use async_kit::retry::is_connection_reset;
///
/// assert!(is_connection_reset(&io::Error::from(io::ErrorKind::ConnectionReset)));
/// assert!(!is_connection_reset(&io::Error::from(io::ErrorKind::ConnectionRefused)));
/// ```
pub fn is_connection_reset<E: Error + 'static>(err: &E) -> bool {
    has_io_kind(err, &[io::ErrorKind::ConnectionReset])
}

/// Returns `true` for our [`Elapsed`], or an error caused by one (an
/// `io::Error` made from it included).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use async_kit::retry::is_elapsed;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let err = async_kit::time::timeout(Duration::from_secs(1), std::future::pending::<()>())
///     .await
///     .unwrap_err();
/// assert!(is_elapsed(&err));
/// assert!(is_elapsed(&std::io::Error::from(err)));
/// assert!(!is_elapsed(&std::io::Error::from(std::io::ErrorKind::TimedOut)));
/// # }
/// ```
pub fn is_elapsed<E: Error + 'static>(err: &E) -> bool {
    any_in_chain(err, &|e| e.is::<Elapsed>())
}
