//! `GET /v1/executions/{id}/stack`: where an open run waits ([`Host::stack`]).

use axum::extract::{Path, State};
use axum::Json;

use super::server::ApiResult;
use crate::runtime::Host;
use weft_api::stack_types::StackBody;

pub(super) async fn stack(
    State(host): State<Host>,
    Path(id): Path<String>,
) -> ApiResult<Json<StackBody>> {
    Ok(Json(host.stack(&id).await?.into()))
}
