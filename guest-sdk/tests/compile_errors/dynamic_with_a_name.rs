use weft_sdk::{workflow, WfContext, WfResult};

// A dynamic workflow serves the types it is started with: it has no name of its own.
#[workflow(dynamic, name = "any")]
pub async fn any_type(_ctx: WfContext, input: u32) -> WfResult<u32> {
    Ok(input)
}

fn main() {}
