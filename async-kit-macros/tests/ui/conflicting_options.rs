use async_kit::timeout;

#[timeout(1s, wrap, convert)]
async fn fetch() -> Result<(), std::io::Error> {
    Ok(())
}

fn main() {}
