use async_kit::timeout;

#[timeout(seconds)]
async fn fetch(seconds: u64) -> u64 {
    seconds
}

fn main() {}
