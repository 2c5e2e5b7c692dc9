// Wrong handler signatures, all reported at once.
use weft_sdk::{workflow, WfContext, WfResult};

#[derive(Default)]
struct Shop {
    stock: u32,
}

#[workflow]
impl Shop {
    async fn run(_ctx: WfContext<Self>) -> WfResult<()> {
        Ok(())
    }

    #[signal]
    fn restock(&mut self, n: u32) -> u32 {
        self.stock += n;
        self.stock
    }

    #[signal]
    fn peek(&self) {}

    #[query]
    fn stock(&mut self) -> u32 {
        self.stock
    }

    #[query]
    async fn later(&self) -> u32 {
        self.stock
    }

    #[update]
    async fn sell(&mut self, n: u32) -> WfResult<u32> {
        Ok(n)
    }

    #[update]
    fn count(&mut self, a: u32, b: u32) -> WfResult<u32> {
        Ok(a + b)
    }

    #[update]
    fn forget(&mut self) {}
}

fn main() {}
