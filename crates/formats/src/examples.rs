//! One typical record of every format, written from the vendors' documentation (the same files
//! the tests and benchmarks use), for `forewarn demo` and for anyone who wants to see a format.

use crate::Format;

macro_rules! typical {
    ($($format:ident => $dir:literal,)+) => {
        /// A typical record of each format, in [`Format::ALL`] order.
        pub const TYPICAL: &[(Format, &[u8])] = &[
            $((Format::$format, include_bytes!(concat!("../tests/data/", $dir, "/typical.json"))),)+
        ];
    };
}

typical! {
    Native => "native",
    Okta => "okta",
    Entra => "entra",
    Gws => "gws",
    Auth0 => "auth0",
    M365 => "m365",
    CloudTrail => "cloudtrail",
    Ocsf => "ocsf",
    Ecs => "ecs",
    Sshd => "sshd",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ReadOptions, Reader};

    #[test]
    fn every_format_has_a_typical_record_that_is_detected_and_decodes() {
        assert_eq!(TYPICAL.len(), Format::ALL.len());
        for (format, record) in TYPICAL {
            let mut reader = Reader::new(ReadOptions::default());
            let mut events = 0;
            reader
                .read_bytes(format.name(), record, &mut |_| {
                    events += 1;
                    Ok(())
                })
                .unwrap();
            let input = &reader.summary().inputs[0];
            assert!(events > 0, "{format}: {input:?}");
            assert_eq!(
                input.formats.keys().collect::<Vec<_>>(),
                [format],
                "{format}"
            );
        }
    }
}
