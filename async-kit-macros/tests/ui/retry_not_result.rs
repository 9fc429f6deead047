use async_kit::retry;

#[retry(attempts = 3)]
async fn fetch() -> u32 {
    7
}

fn main() {}
