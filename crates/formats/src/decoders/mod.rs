//! One file per log format, each implementing [`Decoder`], all registered in
//! [`DECODERS`].

mod auth0;
mod cloudtrail;
pub mod common;
mod ecs;
mod entra;
mod gws;
mod json;
mod lenient;
mod m365;
mod native;
mod ocsf;
mod okta;
mod sshd;

use crate::{Decoder, Format};

/// Every decoder, in the order format detection asks them: more specific sniffers first.
/// Adding a format means one file above and one line here.
pub static DECODERS: &[&dyn Decoder] = &[
    &native::Native,
    &okta::Okta,
    &entra::Entra,
    &gws::Gws,
    &auth0::Auth0,
    &m365::M365,
    &cloudtrail::CloudTrail,
    &ocsf::Ocsf,
    &ecs::Ecs,
    &sshd::Sshd,
];

/// The decoder for a format.
pub fn decoder_for(format: Format) -> Option<&'static dyn Decoder> {
    DECODERS.iter().copied().find(|d| d.format() == format)
}

/// The first decoder that claims `record`.
pub fn detect(record: &[u8]) -> Option<&'static dyn Decoder> {
    DECODERS.iter().copied().find(|d| d.sniff(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_exactly_one_decoder() {
        for format in Format::ALL {
            let count = DECODERS.iter().filter(|d| d.format() == *format).count();
            assert_eq!(count, 1, "{format}");
        }
    }
}
