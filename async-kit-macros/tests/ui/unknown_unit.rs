use async_kit::timeout;

#[timeout(5parsecs)]
async fn fetch() {}

fn main() {}
