use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

pin_project! {
    /// A future that remembers its place in the caller's input, so that the
    /// futures still pending can be handed back in input order.
    pub(super) struct Indexed<H> {
        #[pin]
        inner: H,
        index: usize,
    }
}

impl<H> Indexed<H> {
    pub(super) fn new(index: usize, inner: H) -> Self {
        Indexed { inner, index }
    }
}

impl<H: Unpin> Indexed<H> {
    /// Hands back the futures of `set` in input order.
    pub(super) fn into_sorted(set: impl IntoIterator<Item = Self>) -> Vec<H> {
        let mut pending: Vec<Self> = set.into_iter().collect();
        pending.sort_unstable_by_key(|indexed| indexed.index);
        pending.into_iter().map(|indexed| indexed.inner).collect()
    }
}

impl<H: Future> Future for Indexed<H> {
    type Output = H::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}
