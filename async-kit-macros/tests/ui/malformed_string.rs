use async_kit::timeout;

#[timeout("ten seconds")]
async fn fetch() {}

fn main() {}
