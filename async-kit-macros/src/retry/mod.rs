//! `#[retry(..)]`: its arguments in `parse.rs`, its code in `expand.rs`.
//! It shares the duration-literal parser and the return-type helpers of
//! `#[timeout]`.

pub(crate) mod expand;
pub(crate) mod parse;
