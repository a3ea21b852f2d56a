//! The names of the log formats forewarn reads, used everywhere a format is named.

use std::fmt;

/// A log format. Its [`name`](Format::name) is what `--format`, the API and configuration use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// forewarn's own JSON lines (DESIGN.md, "forewarn's native format").
    Native,
    /// Okta System Log.
    Okta,
    /// Microsoft Entra ID sign-in and audit logs.
    Entra,
    /// Google Workspace Admin SDK Reports API activities.
    Gws,
    /// Auth0 tenant logs.
    Auth0,
    /// Microsoft 365 unified audit log.
    M365,
    /// AWS CloudTrail.
    CloudTrail,
    /// OCSF Authentication (3002) and Account Change (3001).
    Ocsf,
    /// Elastic Common Schema.
    Ecs,
    /// OpenSSH / PAM lines from auth.log, syslog or journald.
    Sshd,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Native,
        Format::Okta,
        Format::Entra,
        Format::Gws,
        Format::Auth0,
        Format::M365,
        Format::CloudTrail,
        Format::Ocsf,
        Format::Ecs,
        Format::Sshd,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Okta => "okta",
            Format::Entra => "entra",
            Format::Gws => "gws",
            Format::Auth0 => "auth0",
            Format::M365 => "m365",
            Format::CloudTrail => "cloudtrail",
            Format::Ocsf => "ocsf",
            Format::Ecs => "ecs",
            Format::Sshd => "sshd",
        }
    }

    /// What the format is, for help texts and summaries.
    pub const fn title(self) -> &'static str {
        match self {
            Format::Native => "forewarn native JSON lines",
            Format::Okta => "Okta System Log",
            Format::Entra => "Microsoft Entra ID sign-in and audit logs",
            Format::Gws => "Google Workspace Reports API activities",
            Format::Auth0 => "Auth0 tenant logs",
            Format::M365 => "Microsoft 365 unified audit log",
            Format::CloudTrail => "AWS CloudTrail",
            Format::Ocsf => "OCSF Authentication / Account Change",
            Format::Ecs => "Elastic Common Schema",
            Format::Sshd => "OpenSSH / PAM (auth.log, syslog, journald)",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}`; forewarn reads: native, okta, entra, gws, auth0, m365, cloudtrail, ocsf, ecs, sshd")]
pub struct UnknownFormat(pub String);

impl std::str::FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_unknown_names_list_the_known() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>().unwrap(), *format);
        }
        let err = "splunk".parse::<Format>().unwrap_err().to_string();
        assert!(
            err.contains("unknown format `splunk`") && err.contains("cloudtrail"),
            "{err}"
        );
    }
}
