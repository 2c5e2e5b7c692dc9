//! `saga`: a trip booking that undoes what it booked when a later step fails.
//!
//! The workflow `book_trip` takes a [`Trip`] (`{"id": "trip-7", "traveller": "Ada",
//! "destination": "Lisbon"}`) and books a car, a hotel and a flight, in that order.
//! Result: the three confirmation ids, an [`Itinerary`]
//! (`{"car": "car-trip-7", "hotel": "hotel-trip-7", "flight": "flight-trip-7"}`).
//!
//! After each booking it remembers how to undo it. When a booking fails, it cancels
//! what was booked, newest first (a failed flight cancels the hotel, then the car), and
//! the run fails with the error type `TripNotBooked` and a message that chains the
//! cause:
//!
//! ```text
//! trip trip-7 was not booked: activity `book_flight` failed (NoFlights): no flights to Atlantis for Ada
//! ```
//!
//! The failure's details, a [`Compensated`], say which bookings were cancelled and which
//! could not be (`{"cancelled": ["hotel-trip-7", "car-trip-7"], "not_cancelled": []}`).
//!
//! The compensations are the part that must not be skipped:
//! - each has its own retry policy, more patient than the bookings' (up to 10 attempts,
//!   backing off to a minute); one that still fails does not stop the others, and its
//!   booking is reported under `not_cancelled` (and in the message);
//! - they run shielded from the workflow's cancellation (`ctx.non_cancellable`): a
//!   cancellation that arrives while they run does not stop them.
//!
//! Cancelling the workflow undoes the trip too. A booking in flight when the
//! cancellation arrives is asked to stop, and the workflow waits for what really
//! happened (`WaitCancellationCompleted`): if it went through anyway, it is cancelled
//! with the others. Then the run ends as cancelled — unless a booking could not be
//! cancelled, which fails it as `TripNotBooked`, so that the booking left standing is
//! not hidden behind a plain "cancelled".
//!
//! Activities it needs from the host: `book_car`, `book_hotel`, `book_flight` and
//! `cancel_car`, `cancel_hotel`, `cancel_flight` (`example-activities-api`). The example
//! host has no flights to `Atlantis`, so a trip there fails at the flight and is
//! undone (`example-activities`).

mod saga;

use example_activities_api::Trip;
use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, WfContext, WfResult};

use crate::saga::{Booking, Saga, Stop};

/// The error type of a run whose trip was not booked (all of it undone, or not).
pub const TRIP_NOT_BOOKED: &str = "TripNotBooked";

/// What a booked trip comes to: the confirmation id of each booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Itinerary {
    pub car: String,
    pub hotel: String,
    pub flight: String,
}

/// The details of a `TripNotBooked` failure: what the compensations did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compensated {
    /// The bookings cancelled, in the order they were cancelled (newest first).
    pub cancelled: Vec<String>,
    /// The bookings whose cancellation failed even after its retries: they still stand,
    /// and someone has to look at them.
    pub not_cancelled: Vec<String>,
}

#[workflow]
pub async fn book_trip(ctx: WfContext, trip: Trip) -> WfResult<Itinerary> {
    let mut saga = Saga::new(&ctx, &trip);
    let booked = async {
        let car = saga.book(Booking::Car).await?;
        let hotel = saga.book(Booking::Hotel).await?;
        let flight = saga.book(Booking::Flight).await?;
        Ok::<_, Stop>(Itinerary { car, hotel, flight })
    }
    .await;
    match booked {
        Ok(itinerary) => Ok(itinerary),
        Err(stop) => Err(saga.compensate(stop).await),
    }
}

weft_sdk::export_workflows!(book_trip);

#[cfg(test)]
mod tests;
