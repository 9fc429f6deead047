use async_kit::retry;

#[retry(backoff = constant(10ms, 20ms))]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
