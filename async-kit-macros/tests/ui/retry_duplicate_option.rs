use async_kit::retry;

#[retry(attempts = 3, attempts = 5)]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
