use async_kit::retry;

#[retry(backoff = exponential(10parsecs))]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
