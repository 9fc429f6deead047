use async_kit::timeout;

#[timeout(0ms)]
async fn fetch() {}

fn main() {}
