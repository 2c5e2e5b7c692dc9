use weft_sdk::{workflow, WfContext, WfResult};

#[derive(Default)]
struct Lamp {
    on: bool,
}

#[workflow]
impl Lamp {
    async fn run(_ctx: WfContext<Self>) -> WfResult<()> {
        Ok(())
    }

    #[signal]
    fn switch(&mut self) {
        self.on = !self.on;
    }

    #[signal(name = "switch")]
    fn toggle(&mut self) {
        self.on = !self.on;
    }

    #[query(name = "__weft_workflow_metadata")]
    fn metadata(&self) -> bool {
        self.on
    }

    #[run]
    async fn again(_ctx: WfContext<Self>) -> WfResult<()> {
        Ok(())
    }

    #[signal]
    #[query]
    fn both(&mut self) {}
}

fn main() {}
