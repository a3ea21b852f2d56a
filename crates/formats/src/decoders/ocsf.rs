//! Placeholder: the Ocsf decoder is being written.

use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Ocsf;

impl Decoder for Ocsf {
    fn format(&self) -> Format {
        Format::Ocsf
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
            "the ocsf decoder is not built yet".into(),
        ))
    }
}
