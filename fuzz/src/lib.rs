//! Shared body of the per-decoder fuzz targets.

use forewarn_formats::{decoder_for, DecodeContext, Format};

/// Sniffs and decodes `data` as one record of `format`; any result is fine but a panic.
pub fn decode(format: Format, data: &[u8]) {
    let Some(decoder) = decoder_for(format) else {
        return;
    };
    let _ = decoder.sniff(data);
    let _ = decoder.decode(data, &DecodeContext::default());
}
