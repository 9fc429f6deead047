use async_kit::retry;

#[retry(attempts = 0)]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
