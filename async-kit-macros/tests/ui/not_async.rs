use async_kit::timeout;

#[timeout(1s)]
fn not_async() -> u32 {
    1
}

fn main() {}
