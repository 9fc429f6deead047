//! Misuses of `#[timeout]` are compile errors that point at the offending
//! tokens. Regenerate the expected output with `TRYBUILD=overwrite` and
//! review the diff.

#[test]
fn misuse_is_a_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
