use async_kit::timeout;

#[timeout(1s)]
struct Config {
    retries: u32,
}

fn main() {}
