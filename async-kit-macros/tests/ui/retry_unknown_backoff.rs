use async_kit::retry;

#[retry(backoff = linear(10ms))]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
