use async_kit::retry;

#[retry(attempts = 3)]
struct Client;

fn main() {}
