mod common;

use forewarn_formats::Format;

#[test]
fn native_round_trips_every_field() {
    for trip in common::round_trip(Format::Native) {
        assert_eq!(
            trip.decoded,
            vec![trip.event.clone()],
            "{:?}",
            trip.event.kind
        );
    }
}
