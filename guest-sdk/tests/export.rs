//! `export_workflows!` compiles natively (the exports themselves exist only on wasm32).

use weft_sdk::{workflow, WfContext, WfResult};

#[workflow]
async fn first(_ctx: WfContext) -> WfResult<()> {
    Ok(())
}

#[workflow(name = "second")]
async fn second_one(_ctx: WfContext, n: u8) -> WfResult<u8> {
    Ok(n)
}

weft_sdk::export_workflows!(first, second_one,);

#[test]
fn names() {
    use weft_sdk::Workflow;
    assert_eq!(first::NAME, "first");
    assert_eq!(second_one::NAME, "second");
}
