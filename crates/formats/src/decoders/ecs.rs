//! Placeholder: the Ecs decoder is being written.

use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Ecs;

impl Decoder for Ecs {
    fn format(&self) -> Format {
        Format::Ecs
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
            "the ecs decoder is not built yet".into(),
        ))
    }
}
