use async_kit::timeout;

#[timeout(1s, retries)]
async fn fetch() {}

fn main() {}
