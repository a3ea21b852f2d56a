//! The closed vocabularies of the event model: kinds, outcomes, failure reasons, channels.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name used in the native format and everywhere a person reads it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown {} `{}`, expected one of: {}",
                        stringify!($name).to_lowercase(),
                        s,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

vocabulary! {
    /// What an event is. See DESIGN.md, "The event model".
    Kind {
        /// An identifier was entered: existence check, start of sign-in.
        AccountLookup = "account.lookup",
        /// A primary credential was submitted.
        AuthPassword = "auth.password",
        /// A second factor was challenged or answered (push, code).
        AuthMfa = "auth.mfa",
        /// A reset / recovery flow started (masked channels revealed).
        RecoveryStart = "recovery.start",
        /// A code or link was sent to a recovery channel.
        RecoveryCodeSent = "recovery.code_sent",
        /// A recovery code was submitted.
        RecoveryCodeVerify = "recovery.code_verify",
        /// The password was reset through recovery.
        RecoveryReset = "recovery.reset",
        /// Recovery email or phone added, changed or removed.
        AccountRecoveryInfoChange = "account.recovery_info_change",
        /// A factor enrolled, removed or reset.
        AccountMfaChange = "account.mfa_change",
        /// Password changed while signed in.
        AccountPasswordChange = "account.password_change",
        /// A session was granted.
        SessionStart = "session.start",
        /// A forwarding or inbox rule was created.
        MailboxRuleCreate = "mailbox.rule_create",
        /// An OAuth app was granted access.
        AppConsent = "app.consent",
        /// The account was locked.
        AccountLockout = "account.lockout",
    }
}

vocabulary! {
    /// Whether the step the event records went through.
    Outcome {
        Success = "success",
        Failure = "failure",
    }
}

vocabulary! {
    /// Why a step failed, when the log says.
    Reason {
        /// The identifier does not name an account.
        UnknownAccount = "unknown_account",
        BadPassword = "bad_password",
        Locked = "locked",
        MfaDenied = "mfa_denied",
        MfaTimeout = "mfa_timeout",
        BadCode = "bad_code",
        /// Refused by policy: IP block, risk policy, conditional access, rate limit.
        Blocked = "blocked",
    }
}

vocabulary! {
    /// Where a recovery code or link goes.
    Channel {
        Email = "email",
        Sms = "sms",
        /// An authenticator app, push or voice call: anything that is neither mail nor SMS.
        App = "app",
    }
}

vocabulary! {
    /// The identity provider's own risk verdict.
    Risk {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back() {
        for kind in Kind::ALL {
            assert_eq!(kind.as_str().parse::<Kind>().unwrap(), *kind);
        }
        for reason in Reason::ALL {
            assert_eq!(reason.as_str().parse::<Reason>().unwrap(), *reason);
        }
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = "sms_code".parse::<Channel>().unwrap_err();
        assert_eq!(
            err,
            "unknown channel `sms_code`, expected one of: email, sms, app"
        );
    }
}
