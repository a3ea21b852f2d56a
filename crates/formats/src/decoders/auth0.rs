//! Placeholder: the Auth0 decoder is being written.

use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Auth0;

impl Decoder for Auth0 {
    fn format(&self) -> Format {
        Format::Auth0
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
            "the auth0 decoder is not built yet".into(),
        ))
    }
}
