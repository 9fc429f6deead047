use async_kit::{retry, timeout};

#[derive(Debug)]
struct Timeout;

impl From<async_kit::Elapsed> for Timeout {
    fn from(_: async_kit::Elapsed) -> Self {
        Timeout
    }
}

#[timeout(1s)]
#[retry(wrap)]
async fn fetch() -> Result<(), Timeout> {
    Ok(())
}

fn main() {}
