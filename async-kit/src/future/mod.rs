//! Callbacks on a future's completion or cancellation.
//!
//! [`CompletionExt`] adds three combinators to every [`Future`]:
//! [`on_complete`](CompletionExt::on_complete) sees the output,
//! [`on_cancel`](CompletionExt::on_cancel) runs when the future is dropped
//! before completing, and [`on_done`](CompletionExt::on_done) sees either.
//! They cost nothing until they fire.
//!
//! To hook a task that is already spawned, see
//! [`task::spawn`](crate::task::spawn) and
//! [`JoinHandleExt`](crate::task::JoinHandleExt).

mod completion_ext;
mod on_cancel;
mod on_complete;
mod on_done;

pub use completion_ext::CompletionExt;
pub use on_cancel::OnCancel;
pub use on_complete::OnComplete;
pub use on_done::OnDone;
