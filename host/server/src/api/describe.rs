//! What the API and the web UI show of a run: its description, its result and its
//! history. The runtime reads them ([`Host::describe`], [`Host::history`]); this makes
//! the bodies of the answers, with the fields the host's [`SensitiveFields`] name masked
//! (see [`weft_runtime::masking`]): nothing the server shows holds their real values.
//!
//! [`SensitiveFields`]: weft_runtime::masking::SensitiveFields

use weft_runtime::masking;

use axum::extract::State;
use axum::Json;

use super::types::{Description, ResultBody};
use crate::api::sensitive_types::SensitiveFieldsBody;
use crate::history::Event;
use crate::runtime::{Host, QueryError, RunDescription};
use crate::storage::RunRecord;

/// Everything `GET /v1/executions/{id}` shows but the handler names (which ask the
/// run's instance: [`described`] has them).
pub fn describe(host: &Host, id: &str) -> Result<Description, QueryError> {
    Ok(masked_description(host, host.describe_stored(id)?))
}

/// Everything `GET /v1/executions/{id}` shows, handler names too.
pub async fn described(host: &Host, id: &str) -> Result<Description, QueryError> {
    Ok(masked_description(host, host.describe(id).await?))
}

fn masked_description(host: &Host, mut d: RunDescription) -> Description {
    masking::mask_description(host.sensitive_fields(), &mut d);
    d.into()
}

/// How a run ended, or that it is still open.
pub fn result_body(host: &Host, run: &RunRecord) -> Result<ResultBody, QueryError> {
    let mut outcome = host.outcome(run)?;
    if let Some(outcome) = &mut outcome {
        masking::mask_outcome(host.sensitive_fields(), outcome);
    }
    Ok(weft_runtime::bodies::result_body(run, outcome))
}

/// A run's history as shown: its payloads decoded, or as stored (`stored`: encoded ones
/// stay envelopes, which only a holder of the keys reads), the others masked.
pub fn history(host: &Host, run: &RunRecord, stored: bool) -> Result<Vec<Event>, QueryError> {
    if !stored {
        return decoded_history(host, &run.run_id);
    }
    let mut events = host.inspect().stored().history_of(run)?;
    masking::mask_events(host.sensitive_fields(), &mut events);
    Ok(events)
}

/// The history of the run `run_id` as shown: payloads decoded and masked.
pub fn decoded_history(host: &Host, run_id: &str) -> Result<Vec<Event>, QueryError> {
    let mut events = host.history(run_id)?;
    masking::mask_events(host.sensitive_fields(), &mut events);
    Ok(events)
}

/// `GET /v1/sensitive-fields`: the names this server masks, and the marker it knows.
pub(super) async fn sensitive_fields(State(host): State<Host>) -> Json<SensitiveFieldsBody> {
    Json(SensitiveFieldsBody {
        fields: host
            .sensitive_fields()
            .names()
            .map(str::to_string)
            .collect(),
        marker: masking::SENSITIVE_MARKER.to_string(),
    })
}
