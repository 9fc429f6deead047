use async_kit::retry;

#[retry(policy = async_kit::retry::Policy::new(), attempts = 5)]
async fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
