use async_kit::timeout;

#[timeout(1s, wrap, wrap)]
async fn fetch() {}

fn main() {}
