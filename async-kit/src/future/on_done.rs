use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

pin_project! {
    /// Future for the [`on_done`](super::CompletionExt::on_done) method.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OnDone<Fut, F>
    where
        Fut: Future,
        F: FnOnce(Option<&Fut::Output>),
    {
        #[pin]
        future: Fut,
        callback: Option<F>,
    }

    impl<Fut, F> PinnedDrop for OnDone<Fut, F>
    where
        Fut: Future,
        F: FnOnce(Option<&Fut::Output>),
    {
        fn drop(this: Pin<&mut Self>) {
            if let Some(callback) = this.project().callback.take() {
                callback(None);
            }
        }
    }
}

impl<Fut, F> OnDone<Fut, F>
where
    Fut: Future,
    F: FnOnce(Option<&Fut::Output>),
{
    pub(super) fn new(future: Fut, callback: F) -> Self {
        OnDone {
            future,
            callback: Some(callback),
        }
    }
}

impl<Fut, F> Future for OnDone<Fut, F>
where
    Fut: Future,
    F: FnOnce(Option<&Fut::Output>),
{
    type Output = Fut::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // Checked before polling, so the inner future is never polled after
        // it completed (futures-util's `Map` does the same).
        assert!(this.callback.is_some(), "`OnDone` polled after completion");
        let output = ready!(this.future.poll(cx));
        if let Some(callback) = this.callback.take() {
            callback(Some(&output));
        }
        Poll::Ready(output)
    }
}

impl<Fut, F> fmt::Debug for OnDone<Fut, F>
where
    Fut: Future + fmt::Debug,
    F: FnOnce(Option<&Fut::Output>),
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnDone")
            .field("future", &self.future)
            .field("fired", &self.callback.is_none())
            .finish()
    }
}
