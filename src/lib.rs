//! The building blocks of async-kit's tutorial examples.
//!
//! Each example in `examples/` is a thin command line around one of these
//! modules, so that the integration tests in `tests/` can run the same code
//! on loopback with short delays.

pub mod aio;
pub mod cli;
pub mod echo;
pub mod fetch;
pub mod timeline;
