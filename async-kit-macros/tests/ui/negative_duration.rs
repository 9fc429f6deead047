use async_kit::timeout;

#[timeout(-5s)]
async fn fetch() {}

fn main() {}
