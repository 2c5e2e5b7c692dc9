//! Schedules through the API (`/v1/schedules`).

use super::{path_segment, Client, ClientError, REQUEST_TIMEOUT};
use crate::api::schedule_types::*;

impl Client {
    /// Create a schedule (`body.id` names it); 409 when the id is taken.
    pub fn create_schedule(&self, body: &ScheduleBody) -> Result<ScheduleInfo, ClientError> {
        self.post("/v1/schedules", body)
    }

    /// Every schedule, by id.
    pub fn schedules(&self) -> Result<Vec<ScheduleInfo>, ClientError> {
        let list: ScheduleList = self.get("/v1/schedules")?;
        Ok(list.schedules)
    }

    /// A schedule: its definition, state, recent and next actions, running runs.
    pub fn describe_schedule(&self, id: &str) -> Result<ScheduleInfo, ClientError> {
        self.get(&schedule_path(id, ""))
    }

    /// Replace a schedule's spec, action and policies (its state stays).
    pub fn update_schedule(
        &self,
        id: &str,
        body: &ScheduleBody,
    ) -> Result<ScheduleInfo, ClientError> {
        let url = self.url(&schedule_path(id, ""));
        let answer = self
            .agent
            .put(&url)
            .config()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .send_json(body);
        Ok(self.send(&url, answer)?.1)
    }

    /// Pause a schedule, with a note (`None`: a default note).
    pub fn pause_schedule(
        &self,
        id: &str,
        note: Option<&str>,
    ) -> Result<ScheduleInfo, ClientError> {
        let body = NoteBody {
            note: note.map(str::to_string),
        };
        self.post(&schedule_path(id, "/pause"), &body)
    }

    /// Unpause a schedule, with a note (`None`: a default note).
    pub fn unpause_schedule(
        &self,
        id: &str,
        note: Option<&str>,
    ) -> Result<ScheduleInfo, ClientError> {
        let body = NoteBody {
            note: note.map(str::to_string),
        };
        self.post(&schedule_path(id, "/unpause"), &body)
    }

    /// Take an action now (paused or not), under the schedule's overlap policy or
    /// `overlap`.
    pub fn trigger_schedule(
        &self,
        id: &str,
        overlap: Option<&str>,
    ) -> Result<ScheduleInfo, ClientError> {
        let body = TriggerBody {
            overlap: overlap.map(str::to_string),
        };
        self.post(&schedule_path(id, "/trigger"), &body)
    }

    /// Act on every slot from `start_ms` to `end_ms` (both included).
    pub fn backfill_schedule(
        &self,
        id: &str,
        body: &BackfillBody,
    ) -> Result<Backfilled, ClientError> {
        self.post(&schedule_path(id, "/backfill"), body)
    }

    /// Delete a schedule; the runs it started go on.
    pub fn delete_schedule(&self, id: &str) -> Result<Deleted, ClientError> {
        self.delete(&schedule_path(id, ""))
    }
}

fn schedule_path(id: &str, verb: &str) -> String {
    format!("/v1/schedules/{}{verb}", path_segment(id))
}
