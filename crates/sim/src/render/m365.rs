//! Microsoft 365 unified audit log records, as the Office 365 Management Activity API delivers
//! them (<https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema>),
//! one object a line in `audit.jsonl`: Microsoft Entra STS logons (`RecordType` 15), Microsoft
//! Entra directory changes (8) and Exchange admin cmdlets (1). `CreationTime` is UTC to the
//! second, so sub-second time is lost.
//!
//! | forewarn kind / outcome (reason, channel) | written | decodes back as / lost |
//! | --- | --- | --- |
//! | `session.start` success | `UserLoggedIn`, `ErrorNumber` 0 | same |
//! | `session.start` failure `blocked` / other | `UserLoginFailed` 53003 `BlockedByConditionalAccess` / 50000 | same |
//! | `auth.password` failure `bad_password` / `unknown_account` / `locked` | `UserLoginFailed` 50126 `InvalidUserNameOrPassword` / 50034 `UserAccountNotFound` / 50053 `IdsLocked` | same (`account_exists` only for the unknown account) |
//! | `auth.password` failure `blocked` | `UserLoginFailed` 50053 `IdsLocked` (Entra's block of a malicious source) | reason `locked` |
//! | `auth.password` success | nothing: the logon record is the attempt's outcome | lost |
//! | `auth.mfa` success | `UserLoginFailed` 50074 `UserStrongAuthClientAuthNRequiredInterrupt` | same; channel lost |
//! | `auth.mfa` failure | `UserLoginFailed` 500121 `AuthenticationFailedDuringStrongAuthenticationRequest` | reason `mfa_denied` whatever it was (the record has no detail); channel lost |
//! | `recovery.reset` | `Reset user password.` (`UserId` the admin, or the user) | same, actor kept |
//! | `account.password_change` | `Change user password.` | same |
//! | `account.recovery_info_change` | `Update user.` changing `StrongAuthenticationUserDetails`, by the credential service (or the admin) | channel lost |
//! | `account.mfa_change` | `Update user.` changing `StrongAuthenticationPhoneAppDetail` (app) or `StrongAuthenticationMethod` | same; sms / email channel lost |
//! | `app.consent` | `Consent to application.`, `UserId` the user | same; an acting admin is lost |
//! | `mailbox.rule_create` | `New-InboxRule` moving mail to RSS Subscriptions; with a channel target `New-InboxRule` `ForwardTo` it, or, by an admin, `Set-Mailbox` `ForwardingSmtpAddress` | same, channel and target kept |
//! | `account.lookup`, `recovery.start` / `code_sent` / `code_verify`, `account.lockout` | nothing: the self-service reset steps are in the Entra audit log only (see `entra`) | lost |
//!
//! Logons keep the device and session (`DeviceProperties` `Id` and `SessionId`, the same GUIDs
//! the Entra renderer writes) and the user agent; directory and Exchange records keep neither,
//! and no record keeps country or ASN.

use std::fmt::Write;
use std::net::IpAddr;

use forewarn_formats::Format;
use forewarn_model::{AuthEvent, Channel, Kind, Outcome, Reason, Timestamp};
use serde::Serialize;

use super::entra::{client_of, guid_of, salt, tenant_id, user_id};
use super::{uuid, RenderContext, Renderer};

pub struct M365Renderer;

impl Renderer for M365Renderer {
    fn format(&self) -> Format {
        Format::M365
    }

    fn files(&self) -> &'static [&'static str] {
        &["audit.jsonl"]
    }

    fn render(&mut self, event: &AuthEvent<'_>, context: &RenderContext<'_>, out: &mut [Vec<u8>]) {
        let out = &mut out[0];
        let common = Common::new(event, context);
        match event.kind {
            Kind::SessionStart | Kind::AuthPassword | Kind::AuthMfa => {
                if let Some(logon) = logon_result(event) {
                    write_logon(event, context, common, logon, out);
                }
            }
            Kind::RecoveryReset
            | Kind::AccountPasswordChange
            | Kind::AccountRecoveryInfoChange
            | Kind::AccountMfaChange
            | Kind::AppConsent => write_directory(event, context, common, out),
            Kind::MailboxRuleCreate => write_mailbox(event, context, common, out),
            _ => {}
        }
    }
}

fn write_line(out: &mut Vec<u8>, record: &impl Serialize) {
    // Records are strings, numbers and lists of them: serializing into a Vec cannot fail.
    serde_json::to_writer(&mut *out, record).expect("records serialize");
    out.push(b'\n');
}

/// `CreationTime`: UTC to the second, without a zone.
fn creation_time(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Salt of `IntraSystemId`, so that it differs from every record id.
const INTRA: u64 = 0x696e_7472_6100_0000;

/// The common schema, owned parts.
struct Common {
    time: String,
    id: String,
    organization: String,
}

impl Common {
    fn new(event: &AuthEvent<'_>, context: &RenderContext<'_>) -> Self {
        Common {
            time: creation_time(event.time),
            id: uuid(context.seq ^ salt::RECORD ^ 0x365),
            organization: tenant_id(context.tenant_domain),
        }
    }
}

/// The common schema's fields, flattened into each record type.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Header<'a> {
    creation_time: &'a str,
    id: &'a str,
    operation: &'a str,
    organization_id: &'a str,
    record_type: u8,
    result_status: &'static str,
    user_key: &'a str,
    /// 0 a regular user, 2 an admin, 4 the system (a service principal).
    user_type: u8,
    version: u8,
    workload: &'static str,
    #[serde(rename = "ClientIP", skip_serializing_if = "Option::is_none")]
    client_ip: Option<&'a str>,
    object_id: &'a str,
    user_id: &'a str,
}

#[derive(Serialize)]
struct NameValue<'a> {
    #[serde(rename = "Name")]
    name: &'static str,
    #[serde(rename = "Value")]
    value: &'a str,
}

#[derive(Serialize)]
struct Identity<'a> {
    #[serde(rename = "ID")]
    id: &'a str,
    /// 0 a GUID, 1 a name, 2 an object id, 3 a PUID, 5 a user principal name.
    #[serde(rename = "Type")]
    kind: u8,
}

/// `UserKey` of Exchange records: the user's PUID, sixteen hex digits starting 1003.
fn puid(account_id: u64) -> String {
    format!(
        "1003{:012X}",
        crate::rng::mix(account_id ^ salt::USER) & 0xffff_ffff_ffff
    )
}

// ---------------------------------------------------------------------------------------------
// Logons (Microsoft Entra STS logon schema)

/// The AADSTS code of a logon and its name.
struct Logon {
    code: u32,
    error: Option<&'static str>,
}

fn logon_result(event: &AuthEvent<'_>) -> Option<Logon> {
    let failed = event.outcome == Outcome::Failure;
    let (code, error) = match (event.kind, failed) {
        (Kind::SessionStart, false) => (0, None),
        (Kind::SessionStart, true) if event.reason == Some(Reason::Blocked) => {
            (53003, Some("BlockedByConditionalAccess"))
        }
        (Kind::SessionStart, true) => (50000, None),
        (Kind::AuthPassword, false) => return None,
        (Kind::AuthPassword, true) => match event.reason {
            Some(Reason::UnknownAccount) => (50034, Some("UserAccountNotFound")),
            // One code for smart lockout and a blocked source.
            Some(Reason::Locked | Reason::Blocked) => (50053, Some("IdsLocked")),
            _ => (50126, Some("InvalidUserNameOrPassword")),
        },
        (Kind::AuthMfa, false) => (50074, Some("UserStrongAuthClientAuthNRequiredInterrupt")),
        (Kind::AuthMfa, true) => (
            500121,
            Some("AuthenticationFailedDuringStrongAuthenticationRequest"),
        ),
        _ => return None,
    };
    Some(Logon { code, error })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StsLogon<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    azure_active_directory_event_type: u8,
    extended_properties: Vec<NameValue<'a>>,
    modified_properties: [(); 0],
    actor: [Identity<'a>; 2],
    actor_context_id: &'a str,
    actor_ip_address: Option<&'a str>,
    inter_systems_id: &'a str,
    intra_system_id: &'a str,
    support_ticket_id: &'static str,
    target: [Identity<'a>; 1],
    target_context_id: &'a str,
    application_id: &'static str,
    device_properties: Vec<NameValue<'a>>,
    error_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    logon_error: Option<&'static str>,
}

const OFFICE_HOME: &str = "4765445b-32c6-49b0-83e6-1d93765276ca";
const EXCHANGE_ONLINE: &str = "00000002-0000-0ff1-ce00-000000000000";

fn write_logon(
    event: &AuthEvent<'_>,
    context: &RenderContext<'_>,
    common: Common,
    logon: Logon,
    out: &mut Vec<u8>,
) {
    let ip = event.ip.map(|ip| ip.to_string());
    let exists = event.account_exists != Some(false);
    let user = if exists {
        user_id(context.account_id)
    } else {
        // Entra has no object for a name it does not know.
        "00000000-0000-0000-0000-000000000000".to_owned()
    };
    let session = event.session.as_deref();
    let correlation = match session {
        Some(s) => guid_of(s, salt::CORRELATION),
        None => uuid(context.seq ^ salt::CORRELATION),
    };
    let intra = uuid(context.seq ^ salt::RECORD ^ INTRA);
    let session_id = session.map(|s| guid_of(s, salt::SESSION));
    let device_id = event.device_id.as_deref().map(|d| guid_of(d, salt::DEVICE));
    let error_number = logon.code.to_string();

    let mut extended = Vec::with_capacity(4);
    extended.push(NameValue {
        name: "ResultStatusDetail",
        value: "Success",
    });
    if let Some(agent) = event.user_agent.as_deref() {
        extended.push(NameValue {
            name: "UserAgent",
            value: agent,
        });
    }
    extended.push(NameValue {
        name: "UserAuthenticationMethod",
        value: "1",
    });
    extended.push(NameValue {
        name: "RequestType",
        value: "Login:login",
    });

    let (os, browser, _) = client_of(event.user_agent.as_deref().unwrap_or(""));
    let os = if os == "Windows" { "Windows 10" } else { os };
    let mut device = Vec::with_capacity(5);
    if let Some(id) = device_id.as_deref() {
        device.push(NameValue {
            name: "Id",
            value: id,
        });
    }
    device.push(NameValue {
        name: "OS",
        value: os,
    });
    device.push(NameValue {
        name: "BrowserType",
        value: browser,
    });
    device.push(NameValue {
        name: "IsCompliantAndManaged",
        value: "False",
    });
    if let Some(id) = session_id.as_deref() {
        device.push(NameValue {
            name: "SessionId",
            value: id,
        });
    }

    let record = StsLogon {
        header: Header {
            creation_time: &common.time,
            id: &common.id,
            operation: if logon.code == 0 {
                "UserLoggedIn"
            } else {
                "UserLoginFailed"
            },
            organization_id: &common.organization,
            record_type: 15,
            // Only says the request was served; the outcome is ErrorNumber.
            result_status: "Success",
            user_key: &user,
            user_type: 0,
            version: 1,
            workload: "AzureActiveDirectory",
            client_ip: ip.as_deref(),
            object_id: EXCHANGE_ONLINE,
            user_id: &event.account,
        },
        azure_active_directory_event_type: 1,
        extended_properties: extended,
        modified_properties: [],
        actor: [
            Identity { id: &user, kind: 0 },
            Identity {
                id: &event.account,
                kind: 5,
            },
        ],
        actor_context_id: &common.organization,
        actor_ip_address: ip.as_deref(),
        inter_systems_id: &correlation,
        intra_system_id: &intra,
        support_ticket_id: "",
        target: [Identity {
            id: EXCHANGE_ONLINE,
            kind: 0,
        }],
        target_context_id: &common.organization,
        application_id: OFFICE_HOME,
        device_properties: device,
        error_number: &error_number,
        logon_error: logon.error,
    };
    write_line(out, &record);
}

// ---------------------------------------------------------------------------------------------
// Directory changes (Microsoft Entra schema)

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directory<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    azure_active_directory_event_type: u8,
    extended_properties: [NameValue<'a>; 2],
    modified_properties: Vec<Modified>,
    actor: [Identity<'a>; 2],
    actor_context_id: &'a str,
    actor_ip_address: Option<&'a str>,
    inter_systems_id: &'a str,
    intra_system_id: &'a str,
    support_ticket_id: &'static str,
    target: Vec<Identity<'a>>,
    target_context_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Modified {
    name: &'static str,
    new_value: String,
    old_value: &'static str,
}

fn modified(name: &'static str, old: &'static str, new: impl Into<String>) -> Modified {
    Modified {
        name,
        new_value: new.into(),
        old_value: old,
    }
}

/// The `additionalDetails` extended property: a JSON object in a string.
#[derive(Serialize)]
struct Details<'a> {
    #[serde(rename = "User-Agent", skip_serializing_if = "Option::is_none")]
    user_agent: Option<&'a str>,
    #[serde(rename = "UserType")]
    user_type: &'static str,
}

/// The service that writes a user's own security-info registration into the directory.
const CREDENTIAL_SERVICE: &str = "Azure Credential Configuration Endpoint Service";

/// Applications a user is lured into consenting to (names are the simulator's own, as in the
/// Entra renderer).
const APPS: &[&str] = &[
    "Mail Sorter Pro",
    "PDF Converter Online",
    "Inbox Backup Assistant",
    "Calendar Sync Helper",
];

fn write_directory(
    event: &AuthEvent<'_>,
    context: &RenderContext<'_>,
    common: Common,
    out: &mut Vec<u8>,
) {
    let admin = event.actor.as_deref();
    let (operation, properties) = match event.kind {
        Kind::RecoveryReset => ("Reset user password.", Vec::new()),
        Kind::AccountPasswordChange => ("Change user password.", Vec::new()),
        Kind::AccountRecoveryInfoChange => (
            "Update user.",
            vec![modified(
                "StrongAuthenticationUserDetails",
                "[]",
                "[{\"PhoneNumber\":null,\"AlternativePhoneNumber\":null,\"Email\":null,\"VoiceOnlyPhoneNumber\":null}]",
            )],
        ),
        Kind::AccountMfaChange if event.channel == Some(Channel::App) => (
            "Update user.",
            vec![modified(
                "StrongAuthenticationPhoneAppDetail",
                "[]",
                "[{\"DeviceName\":\"iPhone\",\"DeviceTag\":\"SoftTokenActivated\",\"NotificationType\":\"APNS\",\"AuthenticationType\":\"Notification, OTP\"}]",
            )],
        ),
        Kind::AccountMfaChange => (
            "Update user.",
            vec![modified(
                "StrongAuthenticationMethod",
                "[]",
                "[{\"MethodType\":6,\"IsDefault\":true}]",
            )],
        ),
        _ => (
            "Consent to application.",
            vec![
                modified("ConsentContext.IsAdminConsent", "", "\"False\""),
                modified("ConsentContext.OnBehalfOfAll", "", "\"False\""),
                modified(
                    "ConsentAction.Permissions",
                    "",
                    "\"Scope: Mail.Read Mail.Send offline_access User.Read, ConsentType: Principal\"",
                ),
            ],
        ),
    };
    let consent = event.kind == Kind::AppConsent;
    let mut properties = properties;
    if operation == "Update user." {
        let name = properties[0].name;
        properties.push(modified(
            "Included Updated Properties",
            "",
            format!("\"{name}\""),
        ));
    }

    // Who ran it: the admin; for a user's own security info, the service that wrote it; else
    // the user.
    let service_principal;
    let puid = puid(match admin {
        Some(_) if !consent => context.actor_id,
        _ => context.account_id,
    });
    let (runner, runner_type, user_type, second) = match admin {
        Some(admin) if !consent => (admin, 5, 0, Identity { id: &puid, kind: 3 }),
        _ if operation == "Update user." => {
            service_principal = format!(
                "ServicePrincipal_{}",
                guid_of(CREDENTIAL_SERVICE, salt::APP)
            );
            (
                service_principal.as_str(),
                1,
                4,
                Identity {
                    id: CREDENTIAL_SERVICE,
                    kind: 1,
                },
            )
        }
        _ => (&*event.account, 5, 0, Identity { id: &puid, kind: 3 }),
    };

    let user_object = format!("User_{}", user_id(context.account_id));
    let app = APPS[(context.seq % APPS.len() as u64) as usize];
    let app_object = format!("ServicePrincipal_{}", guid_of(app, salt::APP));
    let target = if consent {
        vec![
            Identity {
                id: &app_object,
                kind: 2,
            },
            Identity { id: app, kind: 1 },
        ]
    } else {
        vec![
            Identity {
                id: &user_object,
                kind: 2,
            },
            Identity {
                id: "User",
                kind: 2,
            },
            Identity {
                id: &event.account,
                kind: 5,
            },
        ]
    };
    let details = serde_json::to_string(&Details {
        user_agent: event.user_agent.as_deref(),
        user_type: "Member",
    })
    .expect("details serialize");
    let ip = event.ip.map(|ip| ip.to_string());
    let correlation = match event.session.as_deref() {
        Some(s) => guid_of(s, salt::SESSION),
        None => uuid(context.seq ^ salt::CORRELATION),
    };
    let intra = uuid(context.seq ^ salt::RECORD ^ INTRA);
    let record = Directory {
        header: Header {
            creation_time: &common.time,
            id: &common.id,
            operation,
            organization_id: &common.organization,
            record_type: 8,
            result_status: if event.outcome == Outcome::Success {
                "Success"
            } else {
                "Failure"
            },
            user_key: &puid,
            user_type,
            version: 1,
            workload: "AzureActiveDirectory",
            client_ip: None,
            object_id: if consent {
                "Not Available"
            } else {
                &event.account
            },
            user_id: runner,
        },
        azure_active_directory_event_type: 1,
        extended_properties: [
            NameValue {
                name: "additionalDetails",
                value: &details,
            },
            NameValue {
                name: "extendedAuditEventCategory",
                value: if consent { "ServicePrincipal" } else { "User" },
            },
        ],
        modified_properties: properties,
        actor: [
            Identity {
                id: runner,
                kind: runner_type,
            },
            second,
        ],
        actor_context_id: &common.organization,
        actor_ip_address: ip.as_deref(),
        inter_systems_id: &correlation,
        intra_system_id: &intra,
        support_ticket_id: "",
        target,
        target_context_id: &common.organization,
    };
    write_line(out, &record);
}

// ---------------------------------------------------------------------------------------------
// Exchange admin cmdlets

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExchangeAdmin<'a> {
    #[serde(flatten)]
    header: Header<'a>,
    app_id: &'static str,
    client_app_id: &'static str,
    external_access: bool,
    organization_name: &'a str,
    originating_server: &'static str,
    parameters: Vec<NameValue<'a>>,
    session_id: &'a str,
}

/// Names intruders give the rules that hide their traffic.
const RULE_NAMES: &[&str] = &[".", "..", "RSS", "Archive"];

fn write_mailbox(
    event: &AuthEvent<'_>,
    context: &RenderContext<'_>,
    common: Common,
    out: &mut Vec<u8>,
) {
    let admin = event.actor.as_deref();
    let forward_to = event
        .channel_target
        .as_deref()
        .filter(|_| event.channel == Some(Channel::Email));
    // An admin sets forwarding on the mailbox itself; a user (or an intruder in the user's
    // session) makes an inbox rule.
    let set_mailbox = admin.is_some() && forward_to.is_some();
    let rule = RULE_NAMES[(context.seq % RULE_NAMES.len() as u64) as usize];
    let forwarding;
    let mut parameters = Vec::with_capacity(6);
    if set_mailbox {
        parameters.push(NameValue {
            name: "Identity",
            value: &event.account,
        });
        forwarding = format!("smtp:{}", forward_to.unwrap_or_default());
        parameters.push(NameValue {
            name: "ForwardingSmtpAddress",
            value: &forwarding,
        });
        parameters.push(NameValue {
            name: "DeliverToMailboxAndForward",
            value: "True",
        });
    } else {
        if admin.is_some() {
            parameters.push(NameValue {
                name: "Mailbox",
                value: &event.account,
            });
        }
        parameters.push(NameValue {
            name: "AlwaysDeleteOutlookRulesBlob",
            value: "False",
        });
        parameters.push(NameValue {
            name: "Force",
            value: "False",
        });
        parameters.push(NameValue {
            name: "Name",
            value: rule,
        });
        parameters.push(NameValue {
            name: "SubjectOrBodyContainsWords",
            value: "invoice;payment;wire;bank",
        });
        match forward_to {
            Some(target) => parameters.push(NameValue {
                name: "ForwardTo",
                value: target,
            }),
            None => {
                parameters.push(NameValue {
                    name: "MoveToFolder",
                    value: "RSS Subscriptions",
                });
                parameters.push(NameValue {
                    name: "MarkAsRead",
                    value: "True",
                });
            }
        }
        parameters.push(NameValue {
            name: "StopProcessingRules",
            value: "True",
        });
    }

    let organization = match context.tenant_domain.split_once('.') {
        Some((name, _)) => format!("{name}.onmicrosoft.com"),
        None => format!("{}.onmicrosoft.com", context.tenant_domain),
    };
    let alias = event.account.split('@').next().unwrap_or_default();
    let mut object = format!(
        "NAMPR04A002.prod.outlook.com/Microsoft Exchange Hosted Organizations/{organization}/{alias}"
    );
    if !set_mailbox {
        write!(object, "\\{rule}").expect("writing to a String cannot fail");
    }
    // Exchange writes the client's port too, and brackets IPv6 addresses.
    let port = 49152 + context.seq % 16384;
    let client_ip = event.ip.map(|ip| match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    });
    let session = match event.session.as_deref() {
        Some(s) => guid_of(s, salt::SESSION),
        None => uuid(context.seq ^ salt::CORRELATION),
    };
    let puid = puid(if admin.is_some() {
        context.actor_id
    } else {
        context.account_id
    });
    let record = ExchangeAdmin {
        header: Header {
            creation_time: &common.time,
            id: &common.id,
            operation: if set_mailbox {
                "Set-Mailbox"
            } else {
                "New-InboxRule"
            },
            organization_id: &common.organization,
            record_type: 1,
            result_status: if event.outcome == Outcome::Success {
                "True"
            } else {
                "False"
            },
            user_key: &puid,
            user_type: if admin.is_some() { 2 } else { 0 },
            version: 1,
            workload: "Exchange",
            client_ip: client_ip.as_deref(),
            object_id: &object,
            user_id: admin.unwrap_or(&event.account),
        },
        app_id: EXCHANGE_ONLINE,
        client_app_id: "",
        external_access: false,
        organization_name: &organization,
        originating_server: "BN8PR04MB6241 (15.20.7452.000)",
        parameters,
        session_id: &session,
    };
    write_line(out, &record);
}
