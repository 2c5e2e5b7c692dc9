//! The activities of a travel agency, for the `saga` example: three bookings, and for
//! each one the cancellation that undoes it.
//!
//! A booking takes the [`Trip`] and returns a confirmation id; its cancellation takes
//! that id. Cancellations are idempotent: cancelling a booking that is already
//! cancelled succeeds again, so a compensation that is retried (its first attempt went
//! through, but its answer was lost) does no harm.

use serde::{Deserialize, Serialize};
use weft_types::ActivityType;

/// A trip to book: a car, a hotel and a flight, all for the same traveller and
/// destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trip {
    /// Names the trip; the agency's confirmation ids are made from it.
    pub id: String,
    /// Who travels.
    pub traveller: String,
    /// Where to: the city the car, the hotel and the flight are booked for.
    pub destination: String,
}

/// The error type [`BookFlight`] fails with when no flight goes to the destination. The
/// activity fails it non-retryably: no later attempt would find a flight.
pub const NO_FLIGHTS: &str = "NoFlights";

/// The error type a cancellation fails with when the confirmation id is not one of its
/// kind (a car's id given to [`CancelHotel`], say): a mistake of the caller, never
/// retried.
pub const NOT_THIS_KIND: &str = "NotThisKind";

/// Rents a car at the destination; returns the confirmation id.
pub struct BookCar;

impl ActivityType for BookCar {
    const NAME: &'static str = "book_car";
    type Input = Trip;
    /// The confirmation id, for [`CancelCar`].
    type Output = String;
}

/// Books a hotel at the destination; returns the confirmation id.
pub struct BookHotel;

impl ActivityType for BookHotel {
    const NAME: &'static str = "book_hotel";
    type Input = Trip;
    /// The confirmation id, for [`CancelHotel`].
    type Output = String;
}

/// Books a flight to the destination; returns the confirmation id, or fails with
/// [`NO_FLIGHTS`] when none goes there.
pub struct BookFlight;

impl ActivityType for BookFlight {
    const NAME: &'static str = "book_flight";
    type Input = Trip;
    /// The confirmation id, for [`CancelFlight`].
    type Output = String;
}

/// Cancels a car booked with [`BookCar`] (idempotent).
pub struct CancelCar;

impl ActivityType for CancelCar {
    const NAME: &'static str = "cancel_car";
    /// The confirmation id [`BookCar`] returned.
    type Input = String;
    type Output = ();
}

/// Cancels a hotel booked with [`BookHotel`] (idempotent).
pub struct CancelHotel;

impl ActivityType for CancelHotel {
    const NAME: &'static str = "cancel_hotel";
    /// The confirmation id [`BookHotel`] returned.
    type Input = String;
    type Output = ();
}

/// Cancels a flight booked with [`BookFlight`] (idempotent).
pub struct CancelFlight;

impl ActivityType for CancelFlight {
    const NAME: &'static str = "cancel_flight";
    /// The confirmation id [`BookFlight`] returned.
    type Input = String;
    type Output = ();
}
