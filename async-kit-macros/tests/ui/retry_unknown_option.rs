use async_kit::retry;

#[retry(attempts = 3, retries = 5)]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
