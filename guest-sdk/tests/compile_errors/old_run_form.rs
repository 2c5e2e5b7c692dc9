// The run method of the first SDK version took `&mut self`.
use weft_sdk::{workflow, WfContext, WfResult};

#[derive(Default)]
struct Counter {
    ticks: u32,
}

#[workflow]
impl Counter {
    async fn run(&mut self, ctx: WfContext, times: u32) -> WfResult<u32> {
        let _ = (ctx, times);
        Ok(self.ticks)
    }
}

fn main() {}
