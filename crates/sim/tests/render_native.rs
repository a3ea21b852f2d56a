mod common;

use forewarn_formats::Format;

#[test]
fn native_round_trips_every_field() {
    common::assert_decodes_as(Format::Native, |event| vec![event.clone()]);
}
