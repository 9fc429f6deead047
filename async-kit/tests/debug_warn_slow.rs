//! `warn_slow_polls`: slow polls are reported, fast ones are not.
//!
//! The slow poll here blocks for real (100 ms against a threshold of 50 ms,
//! so a busy machine that preempts a fast poll for a few ms cannot fail it):
//! the one real-time wait of the suite, as blocking the thread is what is
//! detected.

use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use async_kit::debug::{SlowPoll, WarnSlow, WarnSlowExt};

#[derive(Debug, PartialEq)]
struct Report {
    name: String,
    poll: u64,
    took: Duration,
    threshold: Duration,
}

fn recorder() -> (
    Arc<Mutex<Vec<Report>>>,
    impl Fn(&SlowPoll<'_>) + Send + Sync + 'static,
) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let record = move |slow: &SlowPoll<'_>| {
        sink.lock().unwrap().push(Report {
            name: slow.name().to_owned(),
            poll: slow.poll(),
            took: slow.took(),
            threshold: slow.threshold(),
        });
    };
    (reports, record)
}

/// Pending twice, with the second poll blocking its thread for 100 ms.
async fn fast_slow_fast() -> u8 {
    tokio::task::yield_now().await;
    std::thread::sleep(Duration::from_millis(100));
    tokio::task::yield_now().await;
    7
}

#[tokio::test]
async fn only_the_slow_poll_is_reported_with_its_name_and_time() {
    let (reports, record) = recorder();
    let out = fast_slow_fast()
        .warn_slow_polls(Duration::from_millis(50))
        .named("fast_slow_fast")
        .on_slow_poll(record)
        .await;
    assert_eq!(out, 7);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].name, "fast_slow_fast");
    assert_eq!(reports[0].poll, 2);
    assert_eq!(reports[0].threshold, Duration::from_millis(50));
    // `thread::sleep` never returns early.
    assert!(reports[0].took >= Duration::from_millis(100));
}

#[tokio::test]
async fn the_default_name_is_the_async_fns_type_name() {
    let wrapped = fast_slow_fast().warn_slow_polls(Duration::from_secs(1));
    assert!(
        wrapped.name().contains("fast_slow_fast"),
        "{}",
        wrapped.name()
    );
    assert_eq!(wrapped.threshold(), Duration::from_secs(1));
}

#[tokio::test]
async fn fast_polls_are_never_reported() {
    let (reports, record) = recorder();
    let mut polls = 0;
    std::future::poll_fn(|cx| {
        polls += 1;
        if polls == 100 {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .warn_slow_polls(Duration::from_secs(1))
    .on_slow_poll(record)
    .await;
    assert!(reports.lock().unwrap().is_empty());
}

#[test]
fn a_report_displays_name_poll_and_threshold() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    rt.block_on(
        async { std::thread::sleep(Duration::from_millis(6)) }
            .warn_slow_polls(Duration::from_millis(5))
            .named("blocker")
            .on_slow_poll(move |slow| *sink.lock().unwrap() = slow.to_string()),
    );
    let text = text.lock().unwrap();
    assert!(text.starts_with("poll 1 of `blocker` took "), "{text}");
    assert!(
        text.ends_with("over the threshold of 5ms: it blocked its worker"),
        "{text}"
    );
}

#[cfg(feature = "tracing")]
mod tracing_default {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use async_kit::debug::WarnSlowExt;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    /// Keeps the `future` field of every warning.
    struct Warnings(Arc<Mutex<Vec<String>>>);

    struct FutureField(Option<String>);

    impl Visit for FutureField {
        fn record_str(&mut self, field: &Field, value: &str) {
            if field.name() == "future" {
                self.0 = Some(value.to_owned());
            }
        }
        fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
    }

    impl Subscriber for Warnings {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            if *event.metadata().level() == Level::WARN {
                let mut field = FutureField(None);
                event.record(&mut field);
                self.0.lock().unwrap().extend(field.0);
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    #[test]
    fn without_a_callback_a_slow_poll_is_a_tracing_warning() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = Warnings(Arc::clone(&seen));
        tracing::subscriber::with_default(subscriber, || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(
                async { std::thread::sleep(Duration::from_millis(6)) }
                    .warn_slow_polls(Duration::from_millis(5))
                    .named("traced"),
            );
        });
        assert_eq!(*seen.lock().unwrap(), ["traced"]);
    }
}

#[test]
fn auto_traits() {
    fn send_sync_unpin<T: Send + Sync + Unpin>() {}
    fn debug<T: std::fmt::Debug>() {}
    send_sync_unpin::<WarnSlow<std::future::Ready<u8>>>();
    send_sync_unpin::<SlowPoll<'static>>();
    debug::<WarnSlow<std::future::Ready<u8>>>();
}
