use async_kit::retry;

#[retry(attempts)]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
