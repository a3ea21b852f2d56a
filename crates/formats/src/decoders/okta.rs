//! Placeholder: the Okta decoder is being written.

use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Okta;

impl Decoder for Okta {
    fn format(&self) -> Format {
        Format::Okta
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
            "the okta decoder is not built yet".into(),
        ))
    }
}
