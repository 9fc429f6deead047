//! `#[retry]` and `retry()` around a future that succeeds at once, against
//! the bare future: the cost of the retry wrapper on the happy path.
//!
//! `cargo bench -p async-kit-benches --bench retry`

mod harness;

use std::hint::black_box;
use std::time::Instant;

use async_kit::retry::{Policy, retry};
use harness::{Case, compare, runtimes};

#[async_kit::retry(attempts = 3, backoff = exponential(10ms, 1s))]
async fn with_attribute(x: u64) -> Result<u64, std::io::Error> {
    Ok(black_box(x))
}

async fn with_function(x: u64) -> Result<u64, std::io::Error> {
    retry(Policy::new(), || async { Ok(black_box(x)) })
        .await
        .map_err(|e| e.into_inner())
}

async fn bare(x: u64) -> Result<u64, std::io::Error> {
    Ok(black_box(x))
}

fn main() {
    for (rt_name, rt) in runtimes() {
        let rt = &rt;
        compare(
            &format!("retry[{rt_name}]"),
            vec![
                Case::iter("#[retry]", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(with_attribute(black_box(i)).await.ok());
                        }
                        start.elapsed()
                    })
                }),
                Case::iter("retry()", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(with_function(black_box(i)).await.ok());
                        }
                        start.elapsed()
                    })
                }),
                Case::iter("bare future", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(bare(black_box(i)).await.ok());
                        }
                        start.elapsed()
                    })
                }),
            ],
        );
    }
}
