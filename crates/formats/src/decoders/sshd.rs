//! Placeholder: the Sshd decoder is being written.

use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Sshd;

impl Decoder for Sshd {
    fn format(&self) -> Format {
        Format::Sshd
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
            "the sshd decoder is not built yet".into(),
        ))
    }
}
