//! Account identifiers are compared lower-cased everywhere; this is the one place that does it.

use std::borrow::Cow;

/// Lower-cases and trims a login identifier, borrowing when it is already normal.
///
/// Identity systems treat `Jane.Doe@Example.com` and `jane.doe@example.com` as one account, and
/// so must every count forewarn makes.
pub fn normalize_account(raw: Cow<'_, str>) -> Cow<'_, str> {
    let trimmed = raw.trim();
    let needs_lowering = if trimmed.is_ascii() {
        trimmed.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        trimmed.chars().any(char::is_uppercase)
    };
    match raw {
        Cow::Borrowed(s) if !needs_lowering => Cow::Borrowed(s.trim()),
        Cow::Owned(s) if !needs_lowering && s.len() == trimmed.len() => Cow::Owned(s),
        _ => Cow::Owned(trimmed.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_when_already_lower_case() {
        let out = normalize_account(Cow::Borrowed("jane@example.com"));
        assert!(matches!(out, Cow::Borrowed("jane@example.com")));
    }

    #[test]
    fn lowers_ascii_and_unicode() {
        assert_eq!(
            normalize_account(Cow::Borrowed(" Jane@Example.COM ")),
            "jane@example.com"
        );
        assert_eq!(
            normalize_account(Cow::Borrowed("ÉLODIE@exemple.fr")),
            "élodie@exemple.fr"
        );
    }
}
