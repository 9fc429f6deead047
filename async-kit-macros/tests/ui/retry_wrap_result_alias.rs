use async_kit::retry;

#[retry(wrap)]
async fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {}
