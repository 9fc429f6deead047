use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

pin_project! {
    /// Future for the [`on_cancel`](super::CompletionExt::on_cancel) method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OnCancel<Fut, F>
    where
        F: FnOnce(),
    {
        #[pin]
        future: Fut,
        callback: Option<F>,
    }

    impl<Fut, F> PinnedDrop for OnCancel<Fut, F>
    where
        F: FnOnce(),
    {
        fn drop(this: Pin<&mut Self>) {
            if let Some(callback) = this.project().callback.take() {
                callback();
            }
        }
    }
}

impl<Fut, F: FnOnce()> OnCancel<Fut, F> {
    pub(super) fn new(future: Fut, callback: F) -> Self {
        OnCancel {
            future,
            callback: Some(callback),
        }
    }
}

impl<Fut, F> Future for OnCancel<Fut, F>
where
    Fut: Future,
    F: FnOnce(),
{
    type Output = Fut::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = ready!(this.future.poll(cx));
        // Completed: disarm without calling.
        this.callback.take();
        Poll::Ready(output)
    }
}

impl<Fut: fmt::Debug, F: FnOnce()> fmt::Debug for OnCancel<Fut, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnCancel")
            .field("future", &self.future)
            .field("armed", &self.callback.is_some())
            .finish()
    }
}
