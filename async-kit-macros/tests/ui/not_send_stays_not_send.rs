use std::rc::Rc;

use async_kit::timeout;

#[timeout(1s)]
async fn holds_rc() -> u32 {
    let shared = Rc::new(1);
    tokio::task::yield_now().await;
    *shared
}

fn require_send<T: Send>(_: T) {}

fn main() {
    require_send(holds_rc());
}
