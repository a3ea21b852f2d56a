//! Helpers shared by the simulator's integration tests.
#![allow(dead_code)]

use forewarn_formats::{Format, ReadOptions, Reader, Summary};
use forewarn_model::AuthEvent;
use forewarn_sim::render::{corpus, renderer_for, RenderContext};

/// Decodes bytes the way `forewarn decode` does (format detected per file and per record).
pub fn decode(name: &str, bytes: &[u8]) -> (Vec<AuthEvent<'static>>, Summary) {
    let mut reader = Reader::new(ReadOptions::default());
    let mut events = Vec::new();
    reader
        .read_bytes(name, bytes, &mut |event| {
            events.push(event.clone().into_owned());
            Ok(())
        })
        .expect("reading from memory cannot fail");
    (events, reader.into_summary().expect("no quarantine"))
}

/// One corpus event, what `format` wrote for it (per file), and what that decodes back to.
pub struct RoundTrip {
    pub event: AuthEvent<'static>,
    pub context: RenderContext<'static>,
    /// `(file name, bytes written)` for each file the renderer has.
    pub written: Vec<(&'static str, Vec<u8>)>,
    pub decoded: Vec<AuthEvent<'static>>,
}

/// Renders every corpus event on its own with `format`'s renderer and decodes the result,
/// asserting that nothing is rejected and that every record is detected as `format`.
pub fn round_trip(format: Format) -> Vec<RoundTrip> {
    corpus()
        .into_iter()
        .map(|(event, context)| {
            let mut renderer = renderer_for(format).expect("the simulator writes this format");
            let files = renderer.files();
            let mut out = vec![Vec::new(); files.len()];
            renderer.render(&event, &context, &mut out);
            let mut decoded = Vec::new();
            let mut written = Vec::new();
            for (name, bytes) in files.iter().zip(out) {
                if !bytes.is_empty() {
                    let (events, summary) = decode(name, &bytes);
                    assert_eq!(
                        summary.rejected(),
                        0,
                        "{format} record for {event:?} was rejected: {summary:?}\n{}",
                        String::from_utf8_lossy(&bytes)
                    );
                    let input = &summary.inputs[0];
                    assert!(
                        input.formats.keys().all(|f| *f == format),
                        "{format} record for {:?} detected as {:?}:\n{}",
                        event.kind,
                        input.formats.keys().collect::<Vec<_>>(),
                        String::from_utf8_lossy(&bytes)
                    );
                    // Where the record sat is the reader's business, not the renderer's.
                    decoded.extend(events.into_iter().map(|mut e| {
                        e.raw = Default::default();
                        e
                    }));
                }
                written.push((*name, bytes));
            }
            RoundTrip {
                event,
                context,
                written,
                decoded,
            }
        })
        .collect()
}

/// The fields every format should carry through, for comparing a decoded event with the one
/// rendered.
pub fn essentials(
    event: &AuthEvent<'_>,
) -> (
    jiff::Timestamp,
    &'static str,
    &'static str,
    String,
    Option<std::net::IpAddr>,
) {
    (
        event.time,
        event.kind.as_str(),
        event.outcome.as_str(),
        event.account.to_string(),
        event.ip,
    )
}

/// Asserts that every corpus event, written by `format`'s renderer, decodes back to exactly
/// what `expected` says (the event itself, with the format's documented differences).
pub fn assert_decodes_as(
    format: Format,
    expected: impl Fn(&AuthEvent<'static>) -> Vec<AuthEvent<'static>>,
) {
    let trips = round_trip(format);
    assert_eq!(trips.len(), corpus().len());
    for trip in trips {
        assert_eq!(
            trip.decoded,
            expected(&trip.event),
            "{format}: {:?} {:?} {:?} {:?} by {:?}:\n{}",
            trip.event.kind,
            trip.event.outcome,
            trip.event.reason,
            trip.event.channel,
            trip.event.actor,
            String::from_utf8_lossy(&trip.written[0].1)
        );
    }
}
