//! Placeholder: the M365 decoder is being written.

use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct M365;

impl Decoder for M365 {
    fn format(&self) -> Format {
        Format::M365
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
            "the m365 decoder is not built yet".into(),
        ))
    }
}
