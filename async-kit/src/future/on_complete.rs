use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

pin_project! {
    /// Future for the [`on_complete`](super::CompletionExt::on_complete) method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OnComplete<Fut, F> {
        #[pin]
        future: Fut,
        callback: Option<F>,
    }
}

impl<Fut, F> OnComplete<Fut, F> {
    pub(super) fn new(future: Fut, callback: F) -> Self {
        OnComplete {
            future,
            callback: Some(callback),
        }
    }
}

impl<Fut, F> Future for OnComplete<Fut, F>
where
    Fut: Future,
    F: FnOnce(&Fut::Output),
{
    type Output = Fut::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // Checked before polling, so the inner future is never polled after
        // it completed (futures-util's `Map` does the same).
        assert!(
            this.callback.is_some(),
            "`OnComplete` polled after completion"
        );
        let output = ready!(this.future.poll(cx));
        if let Some(callback) = this.callback.take() {
            callback(&output);
        }
        Poll::Ready(output)
    }
}

impl<Fut: fmt::Debug, F> fmt::Debug for OnComplete<Fut, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnComplete")
            .field("future", &self.future)
            .field("fired", &self.callback.is_none())
            .finish()
    }
}
