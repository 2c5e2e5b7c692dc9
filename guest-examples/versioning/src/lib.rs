//! `versioning`, first version: sleeps a minute, then greets.
//!
//! Input: a name. Result: `"Hello, <name>!"`. Its next versions are test fixtures:
//! `tests/fixtures/versioning-v2` changes what happens after the sleep behind
//! `ctx.patched("ticket")`, so runs recorded by this version still replay on it;
//! `tests/fixtures/versioning-v3` makes the same change without a patch, which runs
//! already in flight cannot replay (see docs/guide/replay-and-versioning.md).

use std::time::Duration;

use example_activities_api::Greet;
use weft_sdk::{workflow, ActivityOptions, WfContext, WfResult};

#[workflow]
pub async fn versioning(ctx: WfContext, name: String) -> WfResult<String> {
    let options = ActivityOptions::start_to_close(Duration::from_secs(10));
    ctx.sleep(Duration::from_secs(60)).await?;
    Ok(ctx.activity(Greet, name, &options).await?)
}

weft_sdk::export_workflows!(versioning);
