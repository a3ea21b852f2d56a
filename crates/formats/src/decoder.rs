//! The seam every log format plugs into.

use std::borrow::Cow;

use forewarn_model::{AuthEvent, Channel, Kind, Timestamp};

use crate::Format;

/// Turns one raw record of a vendor format into normalized events.
///
/// A record is one JSON object (one line of JSON lines, or one element of an array or API page)
/// or one text line. Implementations must not panic on any input: everything they read is
/// attacker-influenced. Events borrow from the record where they can.
pub trait Decoder: Sync {
    fn format(&self) -> Format;

    /// Cheap test of whether `record` looks like this format, used to detect the format of a
    /// file from its first record and of a record in a mixed stream. It must be cheap (a few
    /// substring searches at most) and must not claim records of the other formats.
    fn sniff(&self, record: &[u8]) -> bool;

    /// Decodes one record. A record of an event type forewarn does not use is
    /// [`Decoded::Skipped`], not an error; an error says what a person must fix.
    fn decode<'a>(
        &self,
        record: &'a [u8],
        context: &DecodeContext,
    ) -> Result<Decoded<'a>, RecordError>;
}

/// What a record turned into.
// Boxing the common case would cost an allocation per record on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Decoded<'a> {
    One(AuthEvent<'a>),
    /// A record that describes several steps (rare: a sign-in with its MFA step, say).
    Many(Vec<AuthEvent<'a>>),
    /// A well-formed record of a type forewarn does not use; the reason names the type
    /// (`event type user.session.end`) so the summary can count types.
    Skipped(Cow<'a, str>),
}

impl<'a> Decoded<'a> {
    /// One event per step of a record that describes several (an audit entry for "started and
    /// sent a code", say): each a copy of `base` with the step's kind and channel.
    pub fn steps(base: AuthEvent<'a>, steps: &[(Kind, Option<Channel>)]) -> Self {
        match steps {
            [(kind, channel)] => Decoded::One(AuthEvent {
                kind: *kind,
                channel: *channel,
                ..base
            }),
            _ => Decoded::Many(
                steps
                    .iter()
                    .map(|(kind, channel)| AuthEvent {
                        kind: *kind,
                        channel: *channel,
                        ..base.clone()
                    })
                    .collect(),
            ),
        }
    }
}

/// Facts about the input a decoder may need that the record itself does not carry.
#[derive(Debug, Clone)]
pub struct DecodeContext {
    /// A time no event in the input can be later than (the file's modification time, or now).
    /// Syslog timestamps have no year: the decoder picks the latest year that does not put the
    /// event after this.
    pub reference_time: Timestamp,
}

impl Default for DecodeContext {
    fn default() -> Self {
        DecodeContext {
            reference_time: Timestamp::now(),
        }
    }
}

/// Why a record could not be decoded. Messages say what is wrong in the record; the reader adds
/// the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Not well-formed JSON. The message carries the position within the record.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// Well-formed JSON of the wrong shape (a required field missing, a string where a number
    /// belongs), as the JSON parser reports it.
    #[error("{0}")]
    Shape(String),
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    #[error("invalid `{field}`: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("invalid UTF-8 at byte {0}")]
    InvalidUtf8(usize),
    #[error(
        "record of {size} bytes is over the {limit}-byte limit (raise it with --max-record-bytes)"
    )]
    TooLarge { size: u64, limit: u64 },
    #[error("not a record of any format forewarn reads: {0}")]
    UnknownFormat(String),
}

impl RecordError {
    /// The reason without details that differ from record to record, for the summary's
    /// "rejected by reason" counts.
    pub fn category(&self) -> Cow<'static, str> {
        match self {
            RecordError::Json(_) => Cow::Borrowed("invalid JSON"),
            RecordError::Shape(message) => Cow::Owned(strip_position(message).to_owned()),
            RecordError::MissingField(field) => Cow::Owned(format!("missing field `{field}`")),
            RecordError::InvalidField { field, .. } => Cow::Owned(format!("invalid `{field}`")),
            RecordError::InvalidUtf8(_) => Cow::Borrowed("invalid UTF-8"),
            RecordError::TooLarge { .. } => Cow::Borrowed("record over the size limit"),
            RecordError::UnknownFormat(_) => Cow::Borrowed("unknown format"),
        }
    }

    /// Converts a JSON parser error, keeping syntax errors apart from shape errors.
    pub fn from_json(error: sonic_rs::Error) -> Self {
        let message = error.to_string();
        if error.is_syntax() || error.is_eof() {
            RecordError::Json(compact_json_message(&message))
        } else {
            RecordError::Shape(compact_json_message(&message))
        }
    }

    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        RecordError::InvalidField {
            field,
            reason: reason.into(),
        }
    }
}

impl From<sonic_rs::Error> for RecordError {
    fn from(error: sonic_rs::Error) -> Self {
        RecordError::from_json(error)
    }
}

/// sonic-rs appends a snippet of the input to its messages; the snippet is attacker-controlled
/// and can be long, so keep only the message and position.
fn compact_json_message(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or(message);
    let mut text: String = first_line.chars().take(200).collect();
    if text.len() < first_line.len() {
        text.push('…');
    }
    text
}

fn strip_position(message: &str) -> &str {
    match message.find(" at line ") {
        Some(at) => &message[..at],
        None => message,
    }
}
