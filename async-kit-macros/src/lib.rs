//! Procedural macros for [async-kit](https://docs.rs/async-kit).
//!
//! Do not depend on this crate directly: use the attributes through
//! `async-kit`, which re-exports them and provides the code they expand to.
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![forbid(unsafe_code)]

mod expand;
mod parse;

use proc_macro::TokenStream;

/// Bounds the run time of an `async fn`.
///
/// When the deadline passes, the fn's future is dropped (its work is
/// cancelled) and the fn returns a timeout error. The full documentation,
/// with examples, is on the re-export `async_kit::timeout`.
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::timeout_attribute(args.into(), item.into()).into()
}
