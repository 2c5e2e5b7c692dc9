//! `maintenance`: concurrent timers — a vehicle's services each come due on their own
//! calendar, and each due date sends a reminder.
//!
//! Input: `{"vehicle": "car-1", "years": 10}`, and optionally the services:
//! `"services": [{"name": "oil change", "every_months": 3}, …]` (by default an oil change
//! every 3 months, an inspection every 12 and a coolant flush every 24). Each service
//! has its own durable timer, all of them pending at once. When a service's timer fires
//! the workflow re-arms it for the next due date at once, then sends the reminder
//! (`notify_maintenance`) while the next timer runs. Due dates are the start plus whole
//! calendar months (see [`calendar`]), so neither a reminder's time nor a month's length
//! makes a schedule drift. After `years` the workflow completes with how many reminders
//! each service sent: `{"vehicle": "car-1", "notifications": {"coolant flush": 5,
//! "inspection": 10, "oil change": 40}}` (a date exactly `years` on counts).
//!
//! On the test environment's virtual clock ten years take a fraction of a second of
//! real time (`tests/maintenance.rs`).

pub mod calendar;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use example_activities_api::{MaintenanceDue, NotifyMaintenance};
use serde::{Deserialize, Serialize};
use weft_sdk::{
    join_all, workflow, ActivityOptions, TimerFuture, WfContext, WfResult, WorkflowError,
};

/// A service and how often it comes due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// What is done (`"oil change"`).
    pub name: String,
    /// Calendar months between two due dates (at least 1).
    pub every_months: u32,
}

/// The workflow's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceInput {
    /// The vehicle the reminders are about.
    pub vehicle: String,
    /// How many years to keep the schedule.
    pub years: u32,
    /// The services; by default [`default_services`].
    #[serde(default = "default_services")]
    pub services: Vec<Service>,
}

/// The workflow's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceReport {
    /// The vehicle.
    pub vehicle: String,
    /// Reminders sent, by service.
    pub notifications: BTreeMap<String, u32>,
}

/// An oil change every 3 months, an inspection every year, a coolant flush every 2 years.
pub fn default_services() -> Vec<Service> {
    [("oil change", 3), ("inspection", 12), ("coolant flush", 24)]
        .into_iter()
        .map(|(name, every_months)| Service {
            name: name.to_owned(),
            every_months,
        })
        .collect()
}

fn unix_ms(time: SystemTime) -> u64 {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

#[workflow]
pub async fn maintenance(ctx: WfContext, input: MaintenanceInput) -> WfResult<MaintenanceReport> {
    if input
        .services
        .iter()
        .any(|service| service.every_months == 0)
    {
        return Err(
            WorkflowError::new("every service must come due at least a month apart")
                .with_type("InvalidInput"),
        );
    }
    let start_ms = unix_ms(ctx.now());
    let end_ms = calendar::add_months(start_ms, input.years.saturating_mul(12));
    let schedules = input.services.iter().map(|service| Schedule {
        ctx: &ctx,
        vehicle: &input.vehicle,
        service,
        start_ms,
        end_ms,
    });
    let sent = join_all(schedules.map(Schedule::keep)).await;
    let mut notifications = BTreeMap::new();
    for (service, sent) in input.services.iter().zip(sent) {
        *notifications.entry(service.name.clone()).or_default() += sent?;
    }
    Ok(MaintenanceReport {
        vehicle: input.vehicle,
        notifications,
    })
}

/// One service's calendar, from the workflow's start to its end.
struct Schedule<'a> {
    ctx: &'a WfContext,
    vehicle: &'a str,
    service: &'a Service,
    start_ms: u64,
    end_ms: u64,
}

impl Schedule<'_> {
    /// Keeps the schedule to its end: the reminders sent.
    async fn keep(self) -> WfResult<u32> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(30));
        let mut sent = 0;
        let mut armed = self.arm(1);
        while let Some((due_ms, timer)) = armed {
            timer.await?;
            sent += 1;
            // Re-armed as it fires: the next timer runs while the reminder goes out.
            armed = self.arm(sent + 1);
            let due = MaintenanceDue {
                vehicle: self.vehicle.to_owned(),
                service: self.service.name.clone(),
                due_ms,
                occurrence: sent,
            };
            self.ctx.activity(NotifyMaintenance, due, &options).await?;
        }
        Ok(sent)
    }

    /// The timer of the `occurrence`-th due date, unless it falls past the end.
    fn arm(&self, occurrence: u32) -> Option<(u64, TimerFuture)> {
        let months = occurrence.saturating_mul(self.service.every_months);
        let due_ms = calendar::add_months(self.start_ms, months);
        if due_ms > self.end_ms {
            return None;
        }
        let now_ms = unix_ms(self.ctx.now());
        let timer = self
            .ctx
            .sleep(Duration::from_millis(due_ms.saturating_sub(now_ms)));
        Some((due_ms, timer))
    }
}

weft_sdk::export_workflows!(maintenance);

#[cfg(test)]
mod tests {
    use super::*;
    use weft_sdk::testing::{self, Harness};
    use weft_sdk::wit::{Command, IssuedCommand};

    const DAY_MS: u64 = 86_400_000;

    /// A timer started: `(seq, duration in days)`.
    type Timer = (u32, u64);
    /// A reminder sent: `(seq, service, occurrence)`.
    type Reminder = (u32, String, u32);

    /// The timers the commands start and the reminders they send.
    fn issued(commands: &[IssuedCommand]) -> (Vec<Timer>, Vec<Reminder>) {
        let (mut timers, mut reminders) = (Vec::new(), Vec::new());
        for issued in commands {
            match &issued.command {
                Command::StartTimer(t) => timers.push((t.seq, t.duration_ms / DAY_MS)),
                Command::ScheduleActivity(s) => {
                    assert_eq!(s.activity_type, "notify_maintenance");
                    let due: MaintenanceDue = decode(&s.input.data);
                    reminders.push((s.seq, due.service, due.occurrence));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        (timers, reminders)
    }

    fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn every_service_has_a_timer_re_armed_as_it_fires() {
        // The harness's clock starts at 2000-01-01, a leap year.
        let mut harness = Harness::new::<maintenance>();
        let input = MaintenanceInput {
            vehicle: "car-1".to_owned(),
            years: 1,
            services: default_services(),
        };
        let (timers, reminders) = issued(&harness.start(&input).unwrap());
        // Three months to April 1 is 91 days; the year 366; two years lie past the end.
        assert_eq!(timers, [(1, 91), (2, 366)]);
        assert!(reminders.is_empty());

        harness.advance(Duration::from_millis(91 * DAY_MS));
        let (timers, reminders) = issued(&harness.activate(vec![testing::fire_timer(1)]).unwrap());
        assert_eq!(timers, [(3, 91)], "April 1 to July 1");
        assert_eq!(reminders, [(1, "oil change".to_owned(), 1)]);
        let after = harness
            .activate(vec![testing::complete_activity(1, &"sent")])
            .unwrap();
        assert!(after.is_empty(), "{after:?}");
    }

    #[test]
    fn a_schedule_shorter_than_every_interval_completes_at_once() {
        let mut harness = Harness::new::<maintenance>();
        let done = harness
            .start(&serde_json::json!({"vehicle": "car-2", "years": 0}))
            .unwrap();
        let report = testing::completed::<MaintenanceReport>(&done).unwrap();
        assert_eq!(report.notifications.values().sum::<u32>(), 0);
        assert_eq!(report.notifications.len(), 3);
    }

    #[test]
    fn a_service_of_zero_months_is_refused() {
        let mut harness = Harness::new::<maintenance>();
        let input = serde_json::json!({
            "vehicle": "car-3", "years": 1, "services": [{"name": "wash", "every_months": 0}]
        });
        let done = harness.start(&input).unwrap();
        assert_eq!(testing::failed(&done).unwrap().error_type, "InvalidInput");
    }
}
