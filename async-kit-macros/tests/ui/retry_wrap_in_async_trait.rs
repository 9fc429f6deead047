use async_kit::retry;

#[async_trait::async_trait]
trait Fetch {
    async fn fetch(&self) -> Result<(), ()>;
}

struct Client;

#[async_trait::async_trait]
impl Fetch for Client {
    #[retry(wrap)]
    async fn fetch(&self) -> Result<(), ()> {
        Ok(())
    }
}

fn main() {}
