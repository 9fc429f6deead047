use async_kit::timeout;

#[timeout(500)]
async fn fetch() {}

fn main() {}
