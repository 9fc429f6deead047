//! `#[timeout]` against a hand-written `tokio::time::timeout(d, async { .. })`
//! on a future that is ready at once: the cost of the wrapper itself.
//!
//! `cargo bench -p async-kit-benches --bench timeout`

mod harness;

use std::hint::black_box;
use std::time::{Duration, Instant};

use harness::{Case, compare, runtimes};

#[async_kit::timeout(5s)]
async fn with_attribute(x: u64) -> u64 {
    black_box(x)
}

async fn by_hand(x: u64) -> Result<u64, tokio::time::error::Elapsed> {
    tokio::time::timeout(Duration::from_secs(5), async move { black_box(x) }).await
}

async fn bare(x: u64) -> u64 {
    black_box(x)
}

fn main() {
    for (rt_name, rt) in runtimes() {
        let rt = &rt;
        compare(
            &format!("timeout[{rt_name}]"),
            vec![
                Case::iter("#[timeout]", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(with_attribute(i).await.ok());
                        }
                        start.elapsed()
                    })
                }),
                Case::iter("tokio::time::timeout", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(by_hand(i).await.ok());
                        }
                        start.elapsed()
                    })
                }),
                Case::iter("no timeout", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(bare(i).await);
                        }
                        start.elapsed()
                    })
                }),
            ],
        );
    }
}
