//! forewarn's native format: one [`AuthEvent`] as JSON per line (DESIGN.md).

use forewarn_model::AuthEvent;

use super::common::{account, contains};
use super::json::{self, Bail};
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
        let event = match fast::read(record) {
            Ok(event) => event,
            Err(Bail::TooDeep) => return Err(json::too_deep()),
            Err(Bail::Unsupported) => read_slow(record)?,
        };
        normalize(event).map(Decoded::One)
    }
}

/// The serde path (`AuthEvent`'s own `Deserialize`), for every record the fast path gives up
/// on: fields of unexpected types or values, escapes in keys, malformed JSON (whose errors it
/// words).
fn read_slow(record: &[u8]) -> Result<AuthEvent<'_>, RecordError> {
    if json::nests_too_deep(record) {
        return Err(json::too_deep());
    }
    Ok(sonic_rs::from_slice(record)?)
}

fn normalize(mut event: AuthEvent<'_>) -> Result<AuthEvent<'_>, RecordError> {
    event.account = account(event.account).ok_or(RecordError::MissingField("account"))?;
    event.actor = event.actor.and_then(account);
    Ok(event)
}

/// The fast path: an [`AuthEvent`] read with the [`json`] cursor, field by field as its serde
/// `Deserialize` reads it, giving up on anything that would not read the same way (a value
/// of another type, an unknown kind, a time or address that does not parse, a required field
/// missing).
mod fast {
    use std::borrow::Cow;
    use std::str::FromStr;

    use forewarn_model::{parse_time, AuthEvent, Country, Kind, Outcome, Timestamp};

    use crate::decoders::json::{read_fields, Bail, Cursor, Fast};

    pub(super) fn read(record: &[u8]) -> Fast<AuthEvent<'_>> {
        let mut cursor = Cursor::new(record)?;
        let c = &mut cursor;
        let (mut time, mut kind, mut outcome, mut account) = (None, None, None, None);
        let mut event = AuthEvent::new(
            Timestamp::UNIX_EPOCH,
            Kind::AccountLookup,
            Outcome::Success,
            Cow::Borrowed(""),
        );
        read_fields!(c, {
            0: b"time" => {
                let text = c.required_str();
                time = parse_time(&text).map_err(|_| c.give_up(Bail::Unsupported)).ok()
            },
            1: b"event" => kind = required_name(c),
            2: b"outcome" => outcome = required_name(c),
            3: b"account" => account = Some(c.required_str()),
            4: b"account_exists" => {
                event.account_exists = if c.null() { None } else { Some(c.bool()) }
            },
            5: b"ip" => event.ip = name(c),
            6: b"source_host" => event.source_host = c.str(),
            7: b"user_agent" => event.user_agent = c.str(),
            8: b"device_id" => event.device_id = c.str(),
            9: b"channel" => event.channel = name(c),
            10: b"channel_target" => event.channel_target = c.str(),
            11: b"country" => event.country = name::<Country>(c),
            12: b"asn" => {
                event.asn = if c.null() {
                    None
                } else {
                    let number = c.small_uint();
                    u32::try_from(number).map_err(|_| c.give_up(Bail::Unsupported)).ok()
                }
            },
            13: b"session" => event.session = c.str(),
            14: b"reason" => event.reason = name(c),
            15: b"actor" => event.actor = c.str(),
            16: b"risk" => event.risk = name(c),
        });
        cursor.finish()?;
        let (Some(time), Some(kind), Some(outcome), Some(account)) = (time, kind, outcome, account)
        else {
            return Err(Bail::Unsupported);
        };
        Ok(AuthEvent {
            time,
            kind,
            outcome,
            account,
            ..event
        })
    }

    /// A value of one of the model's vocabularies, a country or an address, or `None` for
    /// `null`: parsed from a string as its `Deserialize` parses it, giving up on text that
    /// does not parse.
    fn name<T: FromStr>(c: &mut Cursor<'_>) -> Option<T> {
        let text = c.str()?;
        parse(c, &text)
    }

    /// As [`name`], for a required field: `null` makes it give up too.
    fn required_name<T: FromStr>(c: &mut Cursor<'_>) -> Option<T> {
        let text = c.required_str();
        parse(c, &text)
    }

    fn parse<T: FromStr>(c: &mut Cursor<'_>, text: &str) -> Option<T> {
        let parsed = text.parse().ok();
        if parsed.is_none() {
            c.give_up(Bail::Unsupported);
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forewarn_model::Kind;

    #[test]
    fn the_fast_path_decodes_as_serde_does() {
        let mut corpus = json::differential::corpus("native", "");
        // Every optional field, and values of every vocabulary.
        corpus.extend(
            [
                r#"{"time":"2019-08-14T03:12:55.5+02:00","event":"account.recovery_info_change","outcome":"failure","account":" Jane@Example.com ","account_exists":false,"ip":"2001:db8::7","source_host":"gw.example.net","user_agent":"curl/8","device_id":"d","channel":"sms","channel_target":"+1***55","country":"de","asn":0,"session":"s","reason":"blocked","actor":"Admin@Example.com","risk":"high","raw":{"input":1}}"#,
                r#"{"account":"a","outcome":"success","event":"session.start","time":"2019-08-14 03:12:55","ip":null,"channel":null,"country":null,"asn":null,"reason":null,"risk":null,"actor":null,"account_exists":null}"#,
            ]
            .map(|record| record.as_bytes().to_vec()),
        );
        let decoded = json::differential::check(
            &corpus,
            1500,
            |record| fast::read(record).map(|event| format!("{:?}", normalize(event))),
            |record| format!("{:?}", read_slow(record).and_then(normalize)),
        );
        assert!(
            decoded > corpus.len() * 300,
            "the fast path decoded only {decoded}"
        );
        for record in &corpus {
            assert!(
                fast::read(record).is_ok(),
                "{}",
                String::from_utf8_lossy(record)
            );
        }
    }

    #[test]
    fn strings_borrow_from_the_record() {
        // Both paths: sonic-rs borrows `#[serde(borrow)]` strings without escapes, as the fast
        // path does; escapes make an owned string.
        let record = br#"{"time":"2019-08-14T03:12:55Z","event":"auth.password","outcome":"failure","account":"jane@example.com","user_agent":"a\"b"}"#;
        let fast = fast::read(record).unwrap();
        let slow = read_slow(record).unwrap();
        for event in [fast, slow] {
            assert!(matches!(event.account, std::borrow::Cow::Borrowed(_)));
            assert!(matches!(event.user_agent, Some(std::borrow::Cow::Owned(_))));
            assert_eq!(event.user_agent.as_deref(), Some("a\"b"));
        }
    }

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
