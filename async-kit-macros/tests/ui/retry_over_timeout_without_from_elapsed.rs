use async_kit::{retry, timeout};

#[derive(Debug)]
struct MyError;

#[retry(attempts = 3)]
#[timeout(1s)]
async fn fetch() -> Result<(), MyError> {
    Ok(())
}

fn main() {}
