//! `both_runtimes!(name, ..)`: runs each `async fn name(multi: bool)` of the
//! including test file as two tests, on the current-thread runtime with the
//! paused clock (`multi == false`) and on the multi-thread runtime with two
//! workers (`multi == true`, real time: the body keeps its waits short or
//! uses channels instead of the clock).

macro_rules! both_runtimes {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(start_paused = true)]
            async fn current_thread() {
                super::$name(false).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn multi_thread() {
                super::$name(true).await;
            }
        }
    )*};
}
