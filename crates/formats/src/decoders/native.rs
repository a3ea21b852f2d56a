//! forewarn's native format: one [`AuthEvent`] as JSON per line (DESIGN.md).

use forewarn_model::AuthEvent;

use super::common::{account, contains};
use crate::{DecodeContext, Decoded, Decoder, Format, RecordError};

pub struct Native;

impl Decoder for Native {
    fn format(&self) -> Format {
        Format::Native
    }

    fn sniff(&self, record: &[u8]) -> bool {
        // `"event":"` with a string value sets it apart from ECS, whose `event` is an object.
        contains(record, b"\"time\"")
            && (contains(record, b"\"event\":\"") || contains(record, b"\"event\": \""))
            && contains(record, b"\"outcome\"")
    }

    fn decode<'a>(
        &self,
        record: &'a [u8],
        _context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError> {
        let mut event: AuthEvent<'a> = sonic_rs::from_slice(record)?;
        event.account = account(event.account).ok_or(RecordError::MissingField("account"))?;
        event.actor = event.actor.and_then(account);
        Ok(Decoded::One(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forewarn_model::Kind;

    fn decode(text: &str) -> Result<Decoded<'_>, RecordError> {
        Native.decode(text.as_bytes(), &DecodeContext::default())
    }

    #[test]
    fn lower_cases_the_account() {
        let Decoded::One(event) = decode(
            r#"{"time":"2019-08-14T03:12:55Z","event":"auth.password","outcome":"failure","account":"Jane@Example.com","reason":"bad_password"}"#,
        )
        .unwrap() else {
            panic!("expected one event")
        };
        assert_eq!(event.account, "jane@example.com");
        assert_eq!(event.kind, Kind::AuthPassword);
    }

    #[test]
    fn says_which_field_is_missing() {
        let err =
            decode(r#"{"event":"auth.password","outcome":"failure","account":"a"}"#).unwrap_err();
        assert_eq!(err.category(), "missing field `time`");
    }

    #[test]
    fn an_empty_account_is_an_error() {
        let err = decode(r#"{"time":"2019-08-14T03:12:55Z","event":"auth.password","outcome":"failure","account":"  "}"#)
            .unwrap_err();
        assert_eq!(err, RecordError::MissingField("account"));
    }
}
