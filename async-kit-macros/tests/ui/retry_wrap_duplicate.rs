use async_kit::retry;

#[retry(wrap, attempts = 2, wrap)]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
