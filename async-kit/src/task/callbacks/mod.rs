//! Done callbacks: the [`DoneCallbacks`] core any task handle embeds, and
//! the [`CallbackHandle`] of [`spawn`] and [`JoinHandleExt`].

mod callback_handle;
mod done_callbacks;
mod join_handle_ext;

pub use callback_handle::{CallbackHandle, spawn};
pub use done_callbacks::{CallbackId, DoneCallbacks, Outcome};
pub use join_handle_ext::JoinHandleExt;
