//! Update-with-start: start a workflow (or take the open run of its id) and send it an
//! update, in one request answered with the update's outcome.
//!
//! | an open run has the id | conflict policy    | what happens                               |
//! |------------------------|--------------------|--------------------------------------------|
//! | no                     | -                  | a new run; its first task delivers the     |
//! |                        |                    | update, in the commit that makes the start |
//! |                        |                    | durable (no run without its update)        |
//! | yes                    | use-existing       | the update goes to that run                |
//! | yes                    | fail               | refused; no update is sent                 |
//! | yes                    | terminate-existing | that run is terminated; a new one as above |
//!
//! The update's caller then waits as for any update, by its id: the first task's
//! acceptance and result are durable with the start, and a retry with the same update
//! id (and the start's request id) finds the same run and the same outcome. The
//! validator may reject the update; the run is started all the same (a rejected update
//! is never recorded) and the caller hears the rejection.

use super::messages::{check_message, MessageError, UpdateOutcome, UpdateRequest};
use super::{Host, StartError, StartOutcome, StartRequest};
use crate::history::vocab::Update;

/// An update-with-start that did not get through.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpdateWithStartError {
    /// The start was refused (an open run and the `fail` policy, a bad request, ...):
    /// no update was sent.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The run was started or found; the update did not get through.
    #[error(transparent)]
    Update(#[from] MessageError),
}

impl Host {
    /// Start `start` (or take the open run of its id, by its id conflict policy) with
    /// `update` in its first task, and wait for the update's outcome.
    pub async fn update_with_start(
        &self,
        start: StartRequest,
        update: UpdateRequest,
    ) -> Result<(StartOutcome, UpdateOutcome), UpdateWithStartError> {
        let (started, update) = self.start_with_update(start, update).await?;
        let outcome = self.update(&started.run.run_id, update).await?;
        Ok((started, outcome))
    }

    /// The first half of [`Host::update_with_start`]: the start, with the update in a
    /// new run's first task; returns the update to wait for (with its id, chosen here
    /// when the request has none), to send to the run with [`Host::update`].
    pub async fn start_with_update(
        &self,
        mut start: StartRequest,
        mut update: UpdateRequest,
    ) -> Result<(StartOutcome, UpdateRequest), StartError> {
        check_message("update", &update.name, &update.input)
            .map_err(|e| StartError::Invalid(e.to_string()))?;
        if start.signal.is_some() {
            return Err(StartError::Invalid(
                "an update-with-start carries an update, not a signal".into(),
            ));
        }
        let update_id = update
            .update_id
            .get_or_insert_with(|| self.inner.entropy.id())
            .clone();
        if update_id.is_empty() || update_id.len() > 200 {
            return Err(StartError::Invalid(
                "an update id has 1 to 200 characters".into(),
            ));
        }
        start.update = Some(Update {
            id: update_id,
            name: update.name.clone(),
            input: update.input.clone(),
        });
        let started = self.start_execution(start).await?;
        Ok((started, update))
    }
}
