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
mod retry;

use proc_macro::TokenStream;

/// Bounds the run time of an `async fn`.
///
/// When the deadline passes, the fn's future is dropped (its work is
/// cancelled) and the fn returns a timeout error. The full documentation,
/// with examples, is on the re-export `async_kit::timeout`.
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    let original = proc_macro2::TokenStream::from(item.clone());
    let result = syn::parse::<parse::Args>(args).and_then(|args| {
        let item = syn::parse::<parse::ItemFn>(item).map_err(|err| {
            if looks_like_fn(&original) {
                err
            } else {
                parse::not_a_fn(&original)
            }
        })?;
        expand::timeout(args, item)
    });
    match result {
        Ok(tokens) => tokens.into(),
        Err(err) => {
            // Keep the item, so the rest of the crate still compiles and the
            // only error is ours.
            let err = err.to_compile_error();
            quote::quote!(#err #original).into()
        }
    }
}

/// Runs an `async fn` returning `Result` again when it fails, with backoff,
/// and never past the caller's deadline.
///
/// The full documentation, with examples, is on the re-export
/// `async_kit::retry`.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    let original = proc_macro2::TokenStream::from(item.clone());
    let result = syn::parse::<retry::parse::Args>(args).and_then(|args| {
        let item = syn::parse::<parse::ItemFn>(item).map_err(|err| {
            let err = if looks_like_fn(&original) {
                err
            } else {
                parse::not_a_fn(&original)
            };
            // The item parser is shared with `#[timeout]`: name ours.
            let msg = err
                .to_string()
                .replace(
                    "`#[timeout]` needs a body to bound",
                    "`#[retry]` needs a body to run again",
                )
                .replace("`#[timeout]`", "`#[retry]`");
            syn::Error::new(err.span(), msg)
        })?;
        retry::expand::retry(args, item)
    });
    match result {
        Ok(tokens) => tokens.into(),
        Err(err) => {
            let err = err.to_compile_error();
            quote::quote!(#err #original).into()
        }
    }
}

fn looks_like_fn(item: &proc_macro2::TokenStream) -> bool {
    item.clone()
        .into_iter()
        .any(|tt| matches!(tt, proc_macro2::TokenTree::Ident(ref i) if i == "fn"))
}
