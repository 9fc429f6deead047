use async_kit::{retry, timeout};

#[retry(attempts = 3)]
#[timeout(1s, wrap)]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
