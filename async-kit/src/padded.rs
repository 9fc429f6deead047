//! Cache-line padding for counters and locks that different threads write.

/// Keeps a value on cache lines of its own, so that writers of neighbouring
/// fields do not take its line away (128 bytes: two lines, as the
/// adjacent-line prefetcher of x86 pulls pairs).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
