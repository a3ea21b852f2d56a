//! Placeholder: the Gws decoder is being written.

use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Gws;

impl Decoder for Gws {
    fn format(&self) -> Format {
        Format::Gws
    }

    fn sniff(&self, _record: &[u8]) -> bool {
        false
    }

    fn decode<'a>(
        &self,
        _record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        Err(RecordError::UnknownFormat(
            "the gws decoder is not built yet".into(),
        ))
    }
}
