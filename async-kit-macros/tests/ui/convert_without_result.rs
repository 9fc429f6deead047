use async_kit::timeout;

#[timeout(1s, convert)]
async fn fetch() -> u32 {
    1
}

fn main() {}
