//! A fake travel agency, for the `saga` example: books cars, hotels and flights, and
//! cancels them.
//!
//! The agency keeps no state: a confirmation id is `<kind>-<trip id>` (`car-trip-7`), so
//! the same trip books the same ids again and a cancellation only has to check that the
//! id is of its kind. That makes cancelling idempotent by construction, as a
//! compensation must be. One step fails on purpose: there are no flights to
//! [`NO_FLIGHTS_TO`].

use example_activities_api::{
    BookCar, BookFlight, BookHotel, CancelCar, CancelFlight, CancelHotel, Trip, NOT_THIS_KIND,
    NO_FLIGHTS,
};
use weft_activity::activities::ActivityType;
use weft_activity::{ActivityError, ActivityRegistry};

use crate::observe;

/// The destination no flight goes to: [`BookFlight`] fails there with [`NO_FLIGHTS`],
/// non-retryably, which makes the `saga` example undo the car and the hotel.
pub const NO_FLIGHTS_TO: &str = "Atlantis";

/// What the agency books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Car,
    Hotel,
    Flight,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Car => "car",
            Kind::Hotel => "hotel",
            Kind::Flight => "flight",
        }
    }

    /// Book this kind for `trip`: its confirmation id.
    fn book(self, trip: &Trip) -> Result<String, ActivityError> {
        if self == Kind::Flight && trip.destination == NO_FLIGHTS_TO {
            return Err(ActivityError::non_retryable(format!(
                "no flights to {} for {}",
                trip.destination, trip.traveller
            ))
            .with_type(NO_FLIGHTS));
        }
        Ok(format!("{}-{}", self.name(), trip.id))
    }

    /// Cancel the booking `confirmation` of this kind; cancelling it again succeeds.
    fn cancel(self, confirmation: &str) -> Result<(), ActivityError> {
        let prefix = format!("{}-", self.name());
        match confirmation.strip_prefix(&prefix) {
            Some(trip) if !trip.is_empty() => Ok(()),
            _ => Err(ActivityError::non_retryable(format!(
                "`{confirmation}` is not a {} booking",
                self.name()
            ))
            .with_type(NOT_THIS_KIND)),
        }
    }
}

/// Register the bookings and their cancellations.
pub(crate) fn register(registry: &mut ActivityRegistry) {
    register_kind(registry, BookCar, CancelCar, Kind::Car);
    register_kind(registry, BookHotel, CancelHotel, Kind::Hotel);
    register_kind(registry, BookFlight, CancelFlight, Kind::Flight);
}

fn register_kind<B, C>(registry: &mut ActivityRegistry, book: B, cancel: C, kind: Kind)
where
    B: ActivityType<Input = Trip, Output = String>,
    C: ActivityType<Input = String, Output = ()>,
{
    registry
        .register(book, move |ctx, trip: Trip| async move {
            observe(&ctx).await?;
            kind.book(&trip)
        })
        .register(cancel, move |ctx, confirmation: String| async move {
            observe(&ctx).await?;
            kind.cancel(&confirmation)
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trip(destination: &str) -> Trip {
        Trip {
            id: "trip-7".to_owned(),
            traveller: "Ada".to_owned(),
            destination: destination.to_owned(),
        }
    }

    #[test]
    fn confirmation_ids_name_the_kind_and_the_trip() {
        assert_eq!(Kind::Car.book(&trip("Lisbon")).unwrap(), "car-trip-7");
        assert_eq!(Kind::Hotel.book(&trip("Lisbon")).unwrap(), "hotel-trip-7");
        assert_eq!(Kind::Flight.book(&trip("Lisbon")).unwrap(), "flight-trip-7");
    }

    #[test]
    fn no_flight_goes_to_atlantis_and_no_retry_helps() {
        let error = Kind::Flight.book(&trip(NO_FLIGHTS_TO)).unwrap_err();
        assert_eq!(error.error_type, NO_FLIGHTS);
        assert!(error.non_retryable);
        assert_eq!(error.message, "no flights to Atlantis for Ada");
        // Cars and hotels are still to be had there.
        assert!(Kind::Car.book(&trip(NO_FLIGHTS_TO)).is_ok());
    }

    #[test]
    fn cancelling_twice_succeeds_but_only_for_its_own_kind() {
        assert!(Kind::Hotel.cancel("hotel-trip-7").is_ok());
        assert!(Kind::Hotel.cancel("hotel-trip-7").is_ok());
        for wrong in ["car-trip-7", "hotel-", "trip-7"] {
            let error = Kind::Hotel.cancel(wrong).unwrap_err();
            assert_eq!(error.error_type, NOT_THIS_KIND, "{wrong}");
            assert!(error.non_retryable);
        }
    }
}
