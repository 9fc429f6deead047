use async_kit::timeout;

#[async_trait::async_trait]
trait Fetch {
    async fn fetch(&self) -> u32;
}

struct Client;

#[async_trait::async_trait]
impl Fetch for Client {
    #[timeout(1s)]
    async fn fetch(&self) -> u32 {
        1
    }
}

fn main() {}
