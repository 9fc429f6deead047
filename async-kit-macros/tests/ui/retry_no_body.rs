use async_kit::retry;

trait Fetch {
    #[retry(attempts = 3)]
    async fn fetch(&self) -> Result<(), ()>;
}

fn main() {}
