use async_kit::retry;

#[retry(attempts = 3)]
fn fetch() -> Result<(), ()> {
    Ok(())
}

fn main() {}
