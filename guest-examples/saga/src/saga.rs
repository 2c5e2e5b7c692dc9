//! The saga itself: bookings made one after the other, each remembered with the
//! cancellation that undoes it, and those cancellations run newest first when the trip
//! cannot go on.

use std::time::Duration;

use example_activities_api::{
    BookCar, BookFlight, BookHotel, CancelCar, CancelFlight, CancelHotel, Trip,
};
use weft_sdk::{
    ActivityCancellationType, ActivityError, ActivityFuture, ActivityOptions, RetryPolicy,
    WfContext, WorkflowError,
};

use crate::{Compensated, TRIP_NOT_BOOKED};

/// One step of the trip, in the order they are booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Booking {
    Car,
    Hotel,
    Flight,
}

impl Booking {
    fn book(self, ctx: &WfContext, trip: &Trip) -> ActivityFuture<String> {
        let options = booking_options();
        let trip = trip.clone();
        match self {
            Booking::Car => ctx.activity(BookCar, trip, &options),
            Booking::Hotel => ctx.activity(BookHotel, trip, &options),
            Booking::Flight => ctx.activity(BookFlight, trip, &options),
        }
    }

    /// The compensation: cancel the booking `confirmation`.
    fn cancel(self, ctx: &WfContext, confirmation: String) -> ActivityFuture<()> {
        let options = compensation_options();
        match self {
            Booking::Car => ctx.activity(CancelCar, confirmation, &options),
            Booking::Hotel => ctx.activity(CancelHotel, confirmation, &options),
            Booking::Flight => ctx.activity(CancelFlight, confirmation, &options),
        }
    }
}

/// A booking: a few attempts for passing trouble (what the agency says is final, like
/// `NoFlights`, it fails non-retryably). When the workflow's cancellation reaches a
/// booking in flight, the workflow waits for its outcome: a booking that went through
/// anyway must be known, to be cancelled.
fn booking_options() -> ActivityOptions {
    ActivityOptions::start_to_close(Duration::from_secs(10))
        .retry(RetryPolicy {
            maximum_attempts: 3,
            ..RetryPolicy::default()
        })
        .cancellation_type(ActivityCancellationType::WaitCancellationCompleted)
}

/// A compensation: more patient than a booking, since giving up leaves a booking
/// standing (10 attempts, backing off from 1 s to at most a minute).
fn compensation_options() -> ActivityOptions {
    ActivityOptions::start_to_close(Duration::from_secs(10)).retry(RetryPolicy {
        initial_interval: Duration::from_secs(1),
        backoff_coefficient: 2.0,
        maximum_interval: Duration::from_secs(60),
        maximum_attempts: 10,
        non_retryable_error_types: Vec::new(),
    })
}

/// Why the trip stopped before it was booked.
pub(crate) enum Stop {
    /// A booking failed, or ended cancelled (the workflow's cancellation reached it).
    Failed(ActivityError),
    /// The workflow's cancellation was requested while a booking was in flight, and the
    /// booking went through anyway.
    CancelRequested,
}

impl Stop {
    fn is_cancellation(&self) -> bool {
        match self {
            Stop::Failed(error) => error.is_cancelled(),
            Stop::CancelRequested => true,
        }
    }

    fn describe(&self) -> String {
        match self {
            Stop::Failed(error) => describe(error),
            Stop::CancelRequested => "the workflow's cancellation was requested".to_owned(),
        }
    }
}

/// An activity's failure with its type, so the chain reads the same wherever it is
/// shown: "activity `book_flight` failed (NoFlights): no flights to Atlantis for Ada".
fn describe(error: &ActivityError) -> String {
    format!(
        "activity `{}` {} ({}): {}",
        error.activity_type(),
        error.kind(),
        error.error_type(),
        error.message()
    )
}

/// The trip's bookings so far, each with its confirmation id, oldest first: the
/// compensations to run, in reverse.
pub(crate) struct Saga<'a> {
    ctx: &'a WfContext,
    trip: &'a Trip,
    booked: Vec<(Booking, String)>,
}

impl<'a> Saga<'a> {
    pub(crate) fn new(ctx: &'a WfContext, trip: &'a Trip) -> Self {
        Self {
            ctx,
            trip,
            booked: Vec::new(),
        }
    }

    /// Make `booking` and remember how to undo it: its confirmation id. Stops the trip
    /// when the booking failed, or when the workflow's cancellation was requested
    /// meanwhile (the booking is then undone with the others).
    pub(crate) async fn book(&mut self, booking: Booking) -> Result<String, Stop> {
        let confirmation = booking
            .book(self.ctx, self.trip)
            .await
            .map_err(Stop::Failed)?;
        self.booked.push((booking, confirmation.clone()));
        if self.ctx.is_cancel_requested() {
            return Err(Stop::CancelRequested);
        }
        Ok(confirmation)
    }

    /// Cancel every booking made, newest first, shielded from the workflow's
    /// cancellation; a cancellation that fails does not stop the next. Returns the error
    /// the run ends with: a cancellation when the workflow was cancelled and everything
    /// was undone, else a `TripNotBooked` failure; either way with a [`Compensated`].
    pub(crate) async fn compensate(self, stop: Stop) -> WorkflowError {
        let ctx = self.ctx;
        let mut report = Compensated::default();
        let mut message = format!("trip {} was not booked: {}", self.trip.id, stop.describe());
        ctx.non_cancellable(async {
            for (booking, confirmation) in self.booked.into_iter().rev() {
                match booking.cancel(ctx, confirmation.clone()).await {
                    Ok(()) => report.cancelled.push(confirmation),
                    Err(error) => {
                        message.push_str(&format!(
                            "; and {confirmation} could not be cancelled: {}",
                            describe(&error)
                        ));
                        report.not_cancelled.push(confirmation);
                    }
                }
            }
        })
        .await;
        let error = if stop.is_cancellation() && report.not_cancelled.is_empty() {
            WorkflowError::cancelled(message)
        } else {
            WorkflowError::new(message).with_type(TRIP_NOT_BOOKED)
        };
        error.with_details(&report)
    }
}
