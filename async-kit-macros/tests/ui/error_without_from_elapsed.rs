use async_kit::timeout;

#[derive(Debug)]
struct MyError;

#[timeout(1s)]
async fn fetch() -> Result<u32, MyError> {
    Ok(1)
}

fn main() {}
