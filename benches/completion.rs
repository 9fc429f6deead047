//! The cost of completion callbacks.
//!
//! - `on_complete` on a future that is ready at once, against the bare
//!   future and against `futures`' `map` and `inspect` (issue 5's target: at
//!   most 1 ns more than the bare future).
//! - `task::spawn` with a done callback against `tokio::spawn` with the same
//!   work attached through `inspect` before spawning, and `tokio::spawn`
//!   alone: spawn + await of a task that is ready at once.
//!
//! `cargo bench -p async-kit-benches --bench completion`

mod harness;

use std::hint::black_box;
use std::time::Instant;

use async_kit::future::CompletionExt;
use async_kit::task::{self, JoinHandleExt, Outcome};
use futures::FutureExt;
use harness::{Case, compare, quick, runtimes};

async fn ready(x: u64) -> u64 {
    black_box(x)
}

fn main() {
    for (rt_name, rt) in runtimes() {
        let rt = &rt;
        compare(
            &format!("on_complete[{rt_name}]"),
            vec![
                Case::iter("on_complete", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(
                                ready(i)
                                    .on_complete(|x| {
                                        black_box(*x);
                                    })
                                    .await,
                            );
                        }
                        start.elapsed()
                    })
                }),
                Case::iter("bare future", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(ready(i).await);
                        }
                        start.elapsed()
                    })
                }),
                Case::iter("futures map", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(
                                ready(i)
                                    .map(|x| {
                                        black_box(x);
                                        x
                                    })
                                    .await,
                            );
                        }
                        start.elapsed()
                    })
                }),
                Case::iter("futures inspect", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(
                                ready(i)
                                    .inspect(|x| {
                                        black_box(*x);
                                    })
                                    .await,
                            );
                        }
                        start.elapsed()
                    })
                }),
            ],
        );
        compare(
            &format!("on_done[{rt_name}]"),
            vec![
                Case::iter("on_done", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(
                                ready(i)
                                    .on_done(|x| {
                                        black_box(x);
                                    })
                                    .await,
                            );
                        }
                        start.elapsed()
                    })
                }),
                Case::iter("bare future", |n| {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..n {
                            black_box(ready(i).await);
                        }
                        start.elapsed()
                    })
                }),
            ],
        );
        let tasks: u64 = if quick() { 2_000 } else { 20_000 };
        compare(
            &format!("spawn with callback[{rt_name}]"),
            vec![
                Case::batch("task::spawn + add_done_callback", tasks, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..tasks {
                            let handle = task::spawn(ready(i));
                            handle.add_done_callback(|outcome: Outcome<'_, u64>| {
                                black_box(matches!(outcome, Outcome::Completed(_)));
                            });
                            black_box(handle.await.ok());
                        }
                        start.elapsed()
                    })
                }),
                Case::batch("tokio::spawn(fut.inspect(..))", tasks, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..tasks {
                            let handle = tokio::spawn(ready(i).inspect(|x| {
                                black_box(*x);
                            }));
                            black_box(handle.await.ok());
                        }
                        start.elapsed()
                    })
                }),
                Case::batch("tokio::spawn", tasks, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..tasks {
                            black_box(tokio::spawn(ready(i)).await.ok());
                        }
                        start.elapsed()
                    })
                }),
                Case::batch("JoinHandle::with_callbacks", tasks, || {
                    rt.block_on(async {
                        let start = Instant::now();
                        for i in 0..tasks {
                            let handle = tokio::spawn(ready(i)).with_callbacks();
                            handle.add_done_callback(|outcome: Outcome<'_, u64>| {
                                black_box(matches!(outcome, Outcome::Completed(_)));
                            });
                            black_box(handle.await.ok());
                        }
                        start.elapsed()
                    })
                }),
            ],
        );
    }
}
