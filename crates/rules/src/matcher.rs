//! Sigma values and modifiers compiled into matchers over extracted values.
//!
//! Each value of a detection item becomes one or more [`ValueMatcher`]s (a modifier such as
//! `base64offset` or `windash` turns one value into several alternatives). String values are
//! canonicalised once: wildcards and `contains` / `startswith` / `endswith` become an exact,
//! prefix, suffix or substring test where the pattern allows it (memchr's substring finder),
//! and a regex only for the rest. Sigma compares strings ignoring case unless `|cased`, so a
//! pattern is lower-cased here and compared with the lower-cased value the extractor keeps.
//!
//! Semantics, with the Sigma specification's choices spelled out:
//! - a value list is OR, `|all` makes it AND; a field with several values (a JSON array)
//!   matches when any of its values does;
//! - `null` matches a field that is absent or JSON null; `''` matches only an empty string;
//! - numbers match numbers and numeric strings by value (`ResultType: 0` matches `0` and
//!   `"0"`); booleans match `true`/`false` and their string forms;
//! - `|re` searches (unanchored, case-sensitive unless `|i`), `|cidr` parses the value as an
//!   IP address, `|gt` & co. as a number;
//! - `|base64`, `|base64offset` and `|wide` (`utf16le`), `|utf16be`, `|utf16` encode the value
//!   the way pySigma does, and the encoded text is compared case-sensitively;
//! - `|windash` lets a leading `-` or `/` of a command-line flag be any of - / – — ―.

use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;
use memchr::memmem;
use regex::Regex;
use rsigma_parser::{Modifier, SigmaString, SigmaValue, SpecialChar, StringPart};

use crate::extract::{Kind, Scratch, Value};

/// Index into a compiled format's field table.
pub(crate) type FieldId = u32;

/// One alternative a value of a detection item can match.
#[derive(Debug, Clone)]
pub(crate) enum ValueMatcher {
    Text {
        pattern: Pattern,
        cased: bool,
    },
    Number(f64),
    Bool(bool),
    Null,
    Compare(Comparison, f64),
    Cidr(IpNet),
    Regex(Regex),
    /// `|fieldref`: equal to (or containing, starting or ending with) another field's value.
    FieldRef {
        field: FieldId,
        how: Position,
    },
    /// `|neq`: some value of the field differs.
    Not(Box<ValueMatcher>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    Exact,
    Contains,
    Prefix,
    Suffix,
}

/// A compiled string pattern (already lower-cased unless the matcher is cased).
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(Box<memmem::Finder<'static>>),
    /// `*`: any string value.
    AnyText,
    Glob(Regex),
}

impl Pattern {
    fn matches(&self, text: &str) -> bool {
        match self {
            Pattern::Exact(p) => text == p,
            Pattern::Prefix(p) => text.starts_with(p.as_str()),
            Pattern::Suffix(p) => text.ends_with(p.as_str()),
            Pattern::Contains(finder) => finder.find(text.as_bytes()).is_some(),
            Pattern::AnyText => true,
            Pattern::Glob(regex) => regex.is_match(text),
        }
    }
}

impl ValueMatcher {
    /// Whether one value matches; `field` reads another field's values for `|fieldref`.
    pub(crate) fn matches(
        &self,
        value: &Value,
        scratch: &Scratch,
        field: &dyn Fn(FieldId) -> Vec<Value>,
    ) -> bool {
        match self {
            ValueMatcher::Text { pattern, cased } => {
                value.kind != Kind::Null
                    && pattern.matches(if *cased {
                        scratch.text(value)
                    } else {
                        scratch.lower(value)
                    })
            }
            ValueMatcher::Number(n) => {
                matches!(value.kind, Kind::Number | Kind::String)
                    && number(scratch.text(value)).is_some_and(|v| v == *n)
            }
            ValueMatcher::Bool(b) => {
                matches!(value.kind, Kind::Bool | Kind::String)
                    && scratch.lower(value).trim() == if *b { "true" } else { "false" }
            }
            ValueMatcher::Null => value.kind == Kind::Null,
            ValueMatcher::Compare(op, limit) => {
                matches!(value.kind, Kind::Number | Kind::String)
                    && number(scratch.text(value)).is_some_and(|v| match op {
                        Comparison::Gt => v > *limit,
                        Comparison::Gte => v >= *limit,
                        Comparison::Lt => v < *limit,
                        Comparison::Lte => v <= *limit,
                    })
            }
            ValueMatcher::Cidr(net) => scratch
                .text(value)
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| net.contains(&ip)),
            ValueMatcher::Regex(regex) => {
                value.kind != Kind::Null && regex.is_match(scratch.text(value))
            }
            ValueMatcher::FieldRef { field: other, how } => {
                let mine = scratch.lower(value);
                field(*other).iter().any(|theirs| {
                    let theirs = scratch.lower(theirs);
                    match how {
                        Position::Exact => mine == theirs,
                        Position::Contains => mine.contains(theirs),
                        Position::Prefix => mine.starts_with(theirs),
                        Position::Suffix => mine.ends_with(theirs),
                    }
                })
            }
            ValueMatcher::Not(inner) => !inner.matches(value, scratch, field),
        }
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok()
}

/// Why a value or modifier cannot be compiled.
pub(crate) type Unsupported = String;

/// What the compiler needs from its caller while compiling a value.
pub(crate) trait FieldResolver {
    /// The field a `|fieldref` value names.
    fn field(&mut self, name: &str) -> Result<FieldId, Unsupported>;
}

/// Compiles one value of a detection item under its modifiers into its alternatives.
pub(crate) fn compile_value(
    value: &SigmaValue,
    modifiers: &[Modifier],
    resolver: &mut dyn FieldResolver,
) -> Result<Vec<ValueMatcher>, Unsupported> {
    let has = |m: Modifier| modifiers.contains(&m);
    for modifier in modifiers {
        match modifier {
            Modifier::Expand => {
                return Err(
                    "`|expand` needs placeholder values, which forewarn does not have".into(),
                )
            }
            Modifier::Minute
            | Modifier::Hour
            | Modifier::Day
            | Modifier::Week
            | Modifier::Month
            | Modifier::Year => {
                return Err(format!(
                    "the timestamp-part modifier `{modifier:?}` is not supported"
                ))
            }
            _ => {}
        }
    }
    let matchers = if has(Modifier::Neq) {
        let rest: Vec<Modifier> = modifiers
            .iter()
            .copied()
            .filter(|m| *m != Modifier::Neq)
            .collect();
        compile_value(value, &rest, resolver)?
            .into_iter()
            .map(|m| ValueMatcher::Not(Box::new(m)))
            .collect()
    } else if let Some(op) = comparison(modifiers) {
        let limit = match value {
            SigmaValue::Integer(i) => *i as f64,
            SigmaValue::Float(f) => *f,
            SigmaValue::String(s) => number(&s.original)
                .ok_or_else(|| format!("`{}` is not a number to compare with", s.original))?,
            other => return Err(format!("`{other}` is not a number to compare with")),
        };
        vec![ValueMatcher::Compare(op, limit)]
    } else {
        match value {
            SigmaValue::Null => vec![ValueMatcher::Null],
            SigmaValue::Bool(b) if !has_string_modifier(modifiers) => vec![ValueMatcher::Bool(*b)],
            SigmaValue::Integer(i) if !has_string_modifier(modifiers) => {
                vec![ValueMatcher::Number(*i as f64)]
            }
            SigmaValue::Float(f) if !has_string_modifier(modifiers) => {
                vec![ValueMatcher::Number(*f)]
            }
            SigmaValue::Bool(_) | SigmaValue::Integer(_) | SigmaValue::Float(_) => {
                compile_string(&SigmaString::new(&value.to_string()), modifiers, resolver)?
            }
            SigmaValue::String(s) => compile_string(s, modifiers, resolver)?,
        }
    };
    Ok(matchers)
}

fn comparison(modifiers: &[Modifier]) -> Option<Comparison> {
    modifiers.iter().find_map(|m| match m {
        Modifier::Gt => Some(Comparison::Gt),
        Modifier::Gte => Some(Comparison::Gte),
        Modifier::Lt => Some(Comparison::Lt),
        Modifier::Lte => Some(Comparison::Lte),
        _ => None,
    })
}

fn has_string_modifier(modifiers: &[Modifier]) -> bool {
    modifiers.iter().any(|m| {
        matches!(
            m,
            Modifier::Contains
                | Modifier::StartsWith
                | Modifier::EndsWith
                | Modifier::Re
                | Modifier::Base64
                | Modifier::Base64Offset
                | Modifier::WindAsh
                | Modifier::Cased
                | Modifier::FieldRef
        )
    })
}

/// A string on its way through the encoding modifiers.
enum Stage {
    Text(Vec<Piece>),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    Any,
    One,
}

fn pieces(s: &SigmaString) -> Vec<Piece> {
    s.parts
        .iter()
        .map(|part| match part {
            StringPart::Plain(text) => Piece::Literal(text.clone()),
            StringPart::Special(SpecialChar::WildcardMulti) => Piece::Any,
            StringPart::Special(SpecialChar::WildcardSingle) => Piece::One,
        })
        .collect()
}

fn plain(pieces: &[Piece], modifier: &str) -> Result<String, Unsupported> {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Literal(text) => Ok(text.as_str()),
            _ => Err(format!(
                "`|{modifier}` cannot encode a value with wildcards"
            )),
        })
        .collect()
}

fn compile_string(
    s: &SigmaString,
    modifiers: &[Modifier],
    resolver: &mut dyn FieldResolver,
) -> Result<Vec<ValueMatcher>, Unsupported> {
    let has = |m: Modifier| modifiers.contains(&m);
    if has(Modifier::Re) {
        let mut flags = String::new();
        if has(Modifier::IgnoreCase) {
            flags.push('i');
        }
        if has(Modifier::Multiline) {
            flags.push('m');
        }
        if has(Modifier::DotAll) {
            flags.push('s');
        }
        let source = if flags.is_empty() {
            s.original.clone()
        } else {
            format!("(?{flags}){}", s.original)
        };
        let regex = Regex::new(&source).map_err(|e| format!("bad `|re` pattern: {e}"))?;
        return Ok(vec![ValueMatcher::Regex(regex)]);
    }
    if has(Modifier::Cidr) {
        let net: IpNet = s
            .original
            .trim()
            .parse()
            .or_else(|_| s.original.trim().parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| format!("`{}` is not a CIDR network", s.original))?;
        return Ok(vec![ValueMatcher::Cidr(net)]);
    }
    let position = if has(Modifier::Contains) {
        Position::Contains
    } else if has(Modifier::StartsWith) {
        Position::Prefix
    } else if has(Modifier::EndsWith) {
        Position::Suffix
    } else {
        Position::Exact
    };
    if has(Modifier::FieldRef) {
        let field = resolver.field(&s.original)?;
        return Ok(vec![ValueMatcher::FieldRef {
            field,
            how: position,
        }]);
    }

    // Encoding modifiers apply in the order written, as in pySigma.
    let mut stages = vec![Stage::Text(pieces(s))];
    let mut encoded = false;
    for modifier in modifiers {
        stages = match modifier {
            Modifier::Wide | Modifier::Utf16be | Modifier::Utf16 => stages
                .into_iter()
                .map(|stage| {
                    let text = match stage {
                        Stage::Text(p) => plain(&p, "wide")?,
                        Stage::Bytes(_) => return Err("two text encodings in a row".to_owned()),
                    };
                    let units = text.encode_utf16();
                    let bytes: Vec<u8> = match modifier {
                        Modifier::Utf16be => units.flat_map(u16::to_be_bytes).collect(),
                        Modifier::Utf16 => [0xFF, 0xFE]
                            .into_iter()
                            .chain(units.flat_map(u16::to_le_bytes))
                            .collect(),
                        _ => units.flat_map(u16::to_le_bytes).collect(),
                    };
                    Ok(Stage::Bytes(bytes))
                })
                .collect::<Result<_, _>>()?,
            Modifier::Base64 => {
                encoded = true;
                stages
                    .into_iter()
                    .map(|stage| {
                        let bytes = stage_bytes(stage, "base64")?;
                        Ok(Stage::Text(vec![Piece::Literal(
                            base64::engine::general_purpose::STANDARD.encode(bytes),
                        )]))
                    })
                    .collect::<Result<_, Unsupported>>()?
            }
            Modifier::Base64Offset => {
                encoded = true;
                let mut out = Vec::new();
                for stage in stages {
                    let bytes = stage_bytes(stage, "base64offset")?;
                    for variant in base64_offsets(&bytes) {
                        out.push(Stage::Text(vec![Piece::Literal(variant)]));
                    }
                }
                out
            }
            Modifier::WindAsh => {
                let mut out = Vec::new();
                for stage in stages {
                    match stage {
                        Stage::Text(p) => {
                            out.extend(windash_variants(&p)?.into_iter().map(Stage::Text))
                        }
                        Stage::Bytes(_) => {
                            return Err("`|windash` after a byte encoding".to_owned())
                        }
                    }
                }
                out
            }
            _ => stages,
        };
    }

    let cased = encoded || has(Modifier::Cased);
    stages
        .into_iter()
        .map(|stage| match stage {
            Stage::Text(p) => Ok(ValueMatcher::Text {
                pattern: pattern(p, position, cased)?,
                cased,
            }),
            Stage::Bytes(_) => Err(
                "`|wide` / `|utf16` only make sense before `|base64` or `|base64offset`".to_owned(),
            ),
        })
        .collect()
}

fn stage_bytes(stage: Stage, modifier: &str) -> Result<Vec<u8>, Unsupported> {
    match stage {
        Stage::Text(p) => Ok(plain(&p, modifier)?.into_bytes()),
        Stage::Bytes(bytes) => Ok(bytes),
    }
}

/// The three base64 renderings of `bytes` at each offset in a longer encoded string, with
/// the characters that depend on the unknown neighbours cut off (pySigma's algorithm).
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    // How many trailing characters to drop, by (len + offset) % 3.
    const END_TRIM: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|offset| {
            let mut padded = vec![b' '; offset];
            padded.extend_from_slice(bytes);
            let encoded = base64::engine::general_purpose::STANDARD.encode(&padded);
            let trim = END_TRIM[(bytes.len() + offset) % 3];
            let end = encoded.len().saturating_sub(trim);
            encoded
                .get(START[offset]..end)
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Every way of writing the value's flag dashes: a `-` or `/` that starts a word (not after
/// a word character, followed by one) becomes each of - / – — ―.
fn windash_variants(pieces: &[Piece]) -> Result<Vec<Vec<Piece>>, Unsupported> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    // At most this many flag positions are expanded (5^4 = 625 variants); more is a rule
    // written for a different purpose.
    const MAX_POSITIONS: usize = 4;
    let mut variants: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut positions = 0usize;
    for piece in pieces {
        let Piece::Literal(text) = piece else {
            for variant in &mut variants {
                variant.push(piece.clone());
            }
            continue;
        };
        let chars: Vec<char> = text.chars().collect();
        let mut parts: Vec<Vec<String>> = vec![vec![String::new()]];
        for (i, &c) in chars.iter().enumerate() {
            let before_word = i > 0 && is_word(chars[i - 1]);
            let after_word = chars.get(i + 1).copied().is_some_and(is_word);
            if (c == '-' || c == '/') && !before_word && after_word {
                positions += 1;
                if positions > MAX_POSITIONS {
                    return Err(format!(
                        "`|windash` over more than {MAX_POSITIONS} flags in one value"
                    ));
                }
                parts.push(DASHES.iter().map(|d| d.to_string()).collect());
                parts.push(vec![String::new()]);
            } else if let Some(last) = parts.last_mut() {
                for s in last.iter_mut() {
                    s.push(c);
                }
            }
        }
        let mut texts = vec![String::new()];
        for alternatives in parts {
            texts = texts
                .iter()
                .flat_map(|t| alternatives.iter().map(move |a| format!("{t}{a}")))
                .collect();
        }
        variants = variants
            .into_iter()
            .flat_map(|variant| {
                texts.iter().map(move |t| {
                    let mut v = variant.clone();
                    v.push(Piece::Literal(t.clone()));
                    v
                })
            })
            .collect();
    }
    Ok(variants)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Canonicalises pieces plus a position modifier into the cheapest pattern.
fn pattern(
    mut pieces: Vec<Piece>,
    position: Position,
    cased: bool,
) -> Result<Pattern, Unsupported> {
    match position {
        Position::Contains => {
            pieces.insert(0, Piece::Any);
            pieces.push(Piece::Any);
        }
        Position::Prefix => pieces.push(Piece::Any),
        Position::Suffix => pieces.insert(0, Piece::Any),
        Position::Exact => {}
    }
    // Merge adjacent literals and runs of `*`.
    let mut merged: Vec<Piece> = Vec::new();
    for piece in pieces {
        match (merged.last_mut(), piece) {
            (Some(Piece::Literal(last)), Piece::Literal(text)) => last.push_str(&text),
            (Some(Piece::Any), Piece::Any) => {}
            (_, Piece::Literal(text)) if text.is_empty() => {}
            (_, piece) => merged.push(piece),
        }
    }
    let fold = |text: &str| {
        if cased {
            text.to_owned()
        } else {
            text.to_lowercase()
        }
    };
    Ok(match merged.as_slice() {
        [] => Pattern::Exact(String::new()),
        [Piece::Literal(text)] => Pattern::Exact(fold(text)),
        [Piece::Any] => Pattern::AnyText,
        [Piece::Literal(text), Piece::Any] => Pattern::Prefix(fold(text)),
        [Piece::Any, Piece::Literal(text)] => Pattern::Suffix(fold(text)),
        [Piece::Any, Piece::Literal(text), Piece::Any] => Pattern::Contains(Box::new(
            memmem::Finder::new(fold(text).as_bytes()).into_owned(),
        )),
        _ => {
            let mut source = String::from("(?s)^");
            for piece in &merged {
                match piece {
                    Piece::Literal(text) => source.push_str(&regex::escape(&fold(text))),
                    Piece::Any => source.push_str(".*"),
                    Piece::One => source.push('.'),
                }
            }
            source.push('$');
            Pattern::Glob(Regex::new(&source).map_err(|e| format!("wildcard pattern: {e}"))?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoFields;
    impl FieldResolver for NoFields {
        fn field(&mut self, name: &str) -> Result<FieldId, Unsupported> {
            Err(format!("no field {name}"))
        }
    }

    fn texts(value: &str, modifiers: &[Modifier]) -> Vec<String> {
        compile_value(
            &SigmaValue::String(SigmaString::new(value)),
            modifiers,
            &mut NoFields,
        )
        .unwrap()
        .into_iter()
        .map(|m| match m {
            ValueMatcher::Text { pattern, .. } => format!("{pattern:?}"),
            other => format!("{other:?}"),
        })
        .collect()
    }

    #[test]
    fn wildcards_become_the_cheapest_pattern() {
        assert!(texts("Admin", &[])[0].starts_with("Exact(\"admin\""));
        assert!(texts("admin*", &[])[0].starts_with("Prefix"));
        assert!(texts("*admin", &[])[0].starts_with("Suffix"));
        assert!(texts("*admin*", &[])[0].starts_with("Contains"));
        assert!(texts("admin", &[Modifier::Contains])[0].starts_with("Contains"));
        assert!(texts("*", &[])[0].starts_with("AnyText"));
        assert!(texts("a?min", &[])[0].starts_with("Glob"));
        assert!(texts("a*b*c", &[])[0].starts_with("Glob"));
        // Escaped wildcards are literals.
        assert!(texts(r"a\*b", &[])[0].starts_with("Exact(\"a*b\""));
    }

    #[test]
    fn base64_offsets_match_pysigma() {
        // pySigma: SigmaBase64OffsetModifier on "/bin/sh" gives these three.
        assert_eq!(
            base64_offsets(b"/bin/sh"),
            ["L2Jpbi9za", "9iaW4vc2", "vYmluL3No"]
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(b"xx/bin/shyy");
        assert!(base64_offsets(b"/bin/sh")
            .iter()
            .any(|v| encoded.contains(v.as_str())));
    }

    #[test]
    fn windash_expands_flag_dashes_only() {
        let variants = texts("-nop x-y", &[Modifier::WindAsh]);
        assert_eq!(variants.len(), 5, "{variants:?}");
        assert!(variants.iter().any(|v| v.contains("/nop x-y")));
        assert!(variants.iter().any(|v| v.contains("\u{2014}nop x-y")));
    }
}
