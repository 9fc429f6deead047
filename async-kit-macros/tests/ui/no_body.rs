use async_kit::timeout;

trait Fetch {
    #[timeout(1s)]
    async fn fetch(&self) -> Result<u32, std::io::Error>;
}

fn main() {}
