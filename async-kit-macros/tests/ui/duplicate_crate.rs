use async_kit::timeout;

#[timeout(1s, crate = async_kit, crate = async_kit)]
async fn fetch() {}

fn main() {}
