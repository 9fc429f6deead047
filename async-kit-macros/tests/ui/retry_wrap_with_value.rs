use async_kit::retry;

#[retry(wrap = true)]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
