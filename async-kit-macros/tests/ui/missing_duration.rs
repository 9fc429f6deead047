use async_kit::timeout;

#[timeout]
async fn fetch() {}

fn main() {}
