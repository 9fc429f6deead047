//! Where `#[timeout]` can be put, and what it keeps.

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use async_kit::{Elapsed, timeout};
use tokio::time::{Instant, sleep};

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[derive(Debug, PartialEq)]
enum AppError {
    Timeout(bool),
    Other,
}

impl From<Elapsed> for AppError {
    fn from(e: Elapsed) -> Self {
        AppError::Timeout(e.is_inherited())
    }
}

struct Service {
    limit: Duration,
    calls: u32,
}

impl Service {
    #[timeout(self.limit)]
    async fn by_ref(&self, delay: Duration) -> u32 {
        sleep(delay).await;
        self.calls
    }

    #[timeout(self.limit)]
    async fn by_mut(&mut self) -> u32 {
        self.calls += 1;
        self.calls
    }

    #[timeout(1s)]
    async fn by_value(self) -> u32 {
        self.calls
    }

    /// Docs and visibility are kept.
    #[timeout(1s)]
    pub(crate) async fn returns_result(&self, fail: bool) -> Result<u32, AppError> {
        if fail {
            return Err(AppError::Other);
        }
        let x: u32 = "7".parse().map_err(|_| AppError::Other)?;
        Ok(x)
    }
}

#[tokio::test(start_paused = true)]
async fn methods_with_every_receiver() {
    let mut s = Service {
        limit: Duration::from_millis(10),
        calls: 0,
    };
    assert_eq!(s.by_ref(Duration::from_millis(5)).await, Ok(0));
    assert!(s.by_ref(Duration::from_millis(50)).await.is_err());
    assert_eq!(s.by_mut().await, Ok(1));
    assert_eq!(s.returns_result(false).await, Ok(7));
    assert_eq!(s.returns_result(true).await, Err(AppError::Other));
    assert_eq!(s.by_value().await, Ok(1));
}

#[timeout(1s)]
async fn generic<'a, T, U>(items: &'a [T], extra: impl Debug + Send, _u: U) -> &'a T
where
    T: Debug + Sync,
    U: Send,
{
    let _ = format!("{extra:?}");
    &items[0]
}

#[tokio::test(start_paused = true)]
async fn generics_lifetimes_and_impl_trait() {
    let items = [3, 4];
    assert_eq!(generic(&items, "x", ()).await, Ok(&3));
}

#[timeout("1.5s")]
async fn string_limit() -> Instant {
    sleep(Duration::from_secs(10)).await;
    Instant::now()
}

#[timeout(1.5s)]
async fn float_limit() -> Instant {
    sleep(Duration::from_secs(10)).await;
    Instant::now()
}

#[timeout(250us)]
async fn micros() -> Option<Instant> {
    // tokio's timer fires on whole milliseconds: check the deadline itself.
    async_kit::deadline()
}

#[timeout(1m)]
async fn minute() {
    sleep(Duration::from_secs(3600)).await;
}

#[timeout(1h)]
async fn hour() {
    sleep(Duration::from_secs(86_400)).await;
}

#[timeout(Duration::from_millis(ms))]
async fn from_arg(ms: u64) {
    sleep(Duration::from_secs(86_400)).await;
}

#[tokio::test(start_paused = true)]
async fn every_duration_form_fires_when_it_says() {
    async fn took<F: Future>(f: F) -> Duration {
        let start = Instant::now();
        f.await;
        start.elapsed()
    }
    assert_eq!(took(string_limit()).await, Duration::from_millis(1500));
    assert_eq!(took(float_limit()).await, Duration::from_millis(1500));
    let start = Instant::now();
    assert_eq!(micros().await, Ok(Some(start + Duration::from_micros(250))));
    assert_eq!(took(minute()).await, Duration::from_secs(60));
    assert_eq!(took(hour()).await, Duration::from_secs(3600));
    assert_eq!(took(from_arg(42)).await, Duration::from_millis(42));
}

type Reply = Result<u32, AppError>;

#[timeout(10ms, convert)]
async fn alias_converted() -> Reply {
    sleep(Duration::from_secs(1)).await;
    Ok(1)
}

#[timeout(10ms, wrap)]
async fn result_wrapped() -> Result<u32, AppError> {
    sleep(Duration::from_secs(1)).await;
    Ok(1)
}

#[timeout(10ms)]
async fn io_result() -> std::io::Result<u32> {
    sleep(Duration::from_secs(1)).await;
    Ok(1)
}

#[timeout(10ms)]
async fn anyhow_result() -> anyhow::Result<u32> {
    sleep(Duration::from_secs(1)).await;
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn return_type_rules() {
    assert_eq!(alias_converted().await, Err(AppError::Timeout(false)));
    assert!(matches!(result_wrapped().await, Err(Elapsed { .. })));
    assert_eq!(
        io_result().await.unwrap_err().kind(),
        std::io::ErrorKind::TimedOut
    );
    let err = anyhow_result().await.unwrap_err();
    assert!(err.downcast_ref::<Elapsed>().is_some());
}

trait Store {
    #[timeout(1s)]
    async fn default_body(&self) -> u32 {
        sleep(Duration::from_secs(2)).await;
        1
    }

    async fn required(&self, delay: Duration) -> Result<u32, AppError>;
}

struct Memory;

impl Store for Memory {
    #[timeout(1s)]
    async fn required(&self, delay: Duration) -> Result<u32, AppError> {
        sleep(delay).await;
        Ok(2)
    }
}

#[tokio::test(start_paused = true)]
async fn async_fn_in_traits() {
    assert!(Memory.default_body().await.is_err());
    assert_eq!(Memory.required(Duration::from_millis(1)).await, Ok(2));
    assert_eq!(
        Memory.required(Duration::from_secs(5)).await,
        Err(AppError::Timeout(false))
    );
}

#[async_trait::async_trait]
trait Fetch {
    async fn fetch(&self, delay: Duration) -> Result<u32, AppError>;

    #[timeout(1s)]
    async fn with_default(&self) -> Result<u32, AppError> {
        sleep(Duration::from_secs(5)).await;
        Ok(0)
    }
}

struct Client {
    limit: Duration,
}

#[async_trait::async_trait]
impl Fetch for Client {
    #[timeout(self.limit)]
    async fn fetch(&self, delay: Duration) -> Result<u32, AppError> {
        sleep(delay).await;
        Ok(3)
    }
}

#[tokio::test(start_paused = true)]
async fn inside_async_trait() {
    let c = Client {
        limit: Duration::from_millis(100),
    };
    assert_eq!(c.fetch(Duration::from_millis(10)).await, Ok(3));
    assert_eq!(
        c.fetch(Duration::from_secs(1)).await,
        Err(AppError::Timeout(false))
    );
    assert_eq!(c.with_default().await, Err(AppError::Timeout(false)));
    let dynamic: &dyn Fetch = &c;
    assert_eq!(dynamic.fetch(Duration::from_millis(1)).await, Ok(3));
}

#[timeout(1s)]
#[tracing::instrument]
async fn timeout_then_instrument(delay: u64) -> u64 {
    sleep(Duration::from_millis(delay)).await;
    delay
}

#[tracing::instrument]
#[timeout(1s)]
async fn instrument_then_timeout(delay: u64) -> u64 {
    sleep(Duration::from_millis(delay)).await;
    delay
}

#[tokio::test(start_paused = true)]
async fn stacked_with_tracing_instrument() {
    assert_eq!(timeout_then_instrument(5).await, Ok(5));
    assert!(timeout_then_instrument(5_000).await.is_err());
    assert_eq!(instrument_then_timeout(5).await, Ok(5));
    assert!(instrument_then_timeout(5_000).await.is_err());
}

// Above `#[tokio::test]`: the test returns `Result<(), Elapsed>`.
#[timeout(1s)]
#[tokio::test(start_paused = true)]
async fn per_test_timeout_above() {
    sleep(Duration::from_millis(10)).await;
}

// Below `#[tokio::test]`: a timed-out test panics with a message naming it.
#[tokio::test(start_paused = true)]
#[timeout(1s)]
async fn per_test_timeout_below() {
    sleep(Duration::from_millis(10)).await;
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "`per_test_timeout_below_fires` timed out after 1s")]
#[timeout(1s)]
async fn per_test_timeout_below_fires() {
    sleep(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
#[timeout(1s)]
async fn per_test_timeout_below_with_result() -> Result<(), Elapsed> {
    sleep(Duration::from_millis(10)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
#[allow(unnameable_test_items)]
async fn per_test_timeout_above_fires() {
    #[timeout(1s)]
    #[tokio::test(start_paused = true)]
    async fn inner_test() {
        sleep(Duration::from_secs(5)).await;
    }
    // Calling the generated test fn runs it on its own runtime; it is a
    // plain fn now. Run it on another thread, since this one is in a runtime.
    let result = std::thread::spawn(inner_test).join().unwrap();
    assert!(result.is_err());
}

#[tokio::test(start_paused = true)]
async fn futures_stay_send() {
    let s = Service {
        limit: Duration::from_secs(1),
        calls: 0,
    };
    let _ = assert_send(s.by_ref(Duration::ZERO)).await;
    let _ = assert_send(generic(&[1], 1, 2)).await;
    let _ = assert_send(Memory.required(Duration::ZERO)).await;
    drop(assert_send(string_limit()));
}

mod renamed {
    // A dependency renamed by the user is reached with `crate = ..`.
    use async_kit as kit;

    #[kit::timeout(1s, crate = kit)]
    pub(super) async fn renamed() -> u8 {
        1
    }
}

#[tokio::test(start_paused = true)]
async fn crate_option() {
    assert_eq!(renamed::renamed().await, Ok(1));
}
