//! One file per log format, each implementing [`Decoder`](crate::Decoder), all registered in
//! [`DECODERS`].

pub mod common;
mod native;

use crate::{Decoder, Format};

/// Every decoder, in the order format detection asks them: more specific sniffers first.
/// Adding a format means one file above and one line here.
pub static DECODERS: &[&dyn Decoder] = &[&native::Native];

/// The decoder for a format.
pub fn decoder_for(format: Format) -> Option<&'static dyn Decoder> {
    DECODERS.iter().copied().find(|d| d.format() == format)
}

/// The first decoder that claims `record`.
pub fn detect(record: &[u8]) -> Option<&'static dyn Decoder> {
    DECODERS.iter().copied().find(|d| d.sniff(record))
}
