//! Placeholder: the Entra decoder is being written.

use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Entra;

impl Decoder for Entra {
    fn format(&self) -> Format {
        Format::Entra
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
            "the entra decoder is not built yet".into(),
        ))
    }
}
