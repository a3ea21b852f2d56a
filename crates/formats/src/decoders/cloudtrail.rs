//! Placeholder: the CloudTrail decoder is being written.

use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct CloudTrail;

impl Decoder for CloudTrail {
    fn format(&self) -> Format {
        Format::CloudTrail
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
            "the cloudtrail decoder is not built yet".into(),
        ))
    }
}
