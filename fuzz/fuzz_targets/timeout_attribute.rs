//! `#[timeout(..)]` on arbitrary tokens: the attribute's arguments, the item
//! it is put on, or both. Whatever they are, the macro must not panic: it
//! expands, or it answers a `compile_error!`; and what it emits must lex
//! again as Rust tokens.
//!
//! The input is text; a NUL byte separates the arguments from the item.
//! Without one, the text is the arguments of an attribute on a plain
//! `async fn`, which reaches the duration parsers most often.

#![no_main]

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

// The macro crate's own parsing and expansion, compiled here as they are
// (a proc-macro crate cannot be linked into another program).
#[allow(dead_code, unreachable_pub)]
#[path = "../../async-kit-macros/src/parse.rs"]
mod parse;
#[allow(dead_code, unreachable_pub)]
#[path = "../../async-kit-macros/src/expand.rs"]
mod expand;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (args, item) = text
        .split_once('\0')
        .unwrap_or((text, "async fn fetch() -> u64 { 1 }"));
    // Text that does not lex never reaches a macro: the compiler rejects it.
    let (Ok(args), Ok(item)) = (args.parse::<TokenStream>(), item.parse::<TokenStream>()) else {
        return;
    };
    let out = expand::timeout_attribute(args, item);
    let printed = out.to_string();
    assert!(
        printed.parse::<TokenStream>().is_ok(),
        "the expansion does not lex: {printed}"
    );
});
