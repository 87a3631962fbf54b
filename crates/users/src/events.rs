//! The security-event log of an account: what happened to it and from where, so that its owner
//! can notice what they did not do. A login from a device or address never seen before is
//! flagged and shown until the person acknowledges it.

use soiree_kernel::{Timestamp, UserId};
use uuid::Uuid;

use crate::session::ClientInfo;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityEventKind {
    /// A login succeeded (both steps, when two-step login is on).
    LoginSucceeded,
    /// A wrong password (or second-step code) was given.
    LoginFailed,
    /// Too many failures: further attempts wait.
    LoginThrottled,
    /// The password was changed.
    PasswordChanged,
    /// Someone confirmed their password again for a sensitive change.
    Reauthenticated,
    /// Two-step login was turned on.
    MfaEnabled,
    /// Two-step login was turned off.
    MfaDisabled,
    /// New recovery codes replaced the old ones.
    RecoveryCodesRegenerated,
    /// A recovery code was used to log in.
    RecoveryCodeUsed,
    /// A session was ended from the account's list (not by logging out of it).
    SessionRevoked,
    /// A provider account was connected.
    ConnectionAdded,
    /// A provider account was disconnected.
    ConnectionRemoved,
    /// The provider app's credentials were set or changed.
    CredentialsChanged,
    /// The person downloaded their data.
    DataExported,
    /// The account's tier changed.
    TierChanged,
    /// An app password was made.
    AppPasswordCreated,
    /// An app password was revoked.
    AppPasswordRevoked,
}

impl SecurityEventKind {
    /// Every kind, for adapters that map them.
    pub const ALL: [Self; 17] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginThrottled,
        Self::PasswordChanged,
        Self::Reauthenticated,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::RecoveryCodesRegenerated,
        Self::RecoveryCodeUsed,
        Self::SessionRevoked,
        Self::ConnectionAdded,
        Self::ConnectionRemoved,
        Self::CredentialsChanged,
        Self::DataExported,
        Self::TierChanged,
        Self::AppPasswordCreated,
        Self::AppPasswordRevoked,
    ];

    /// The stable name stored and shown by the API (`login_succeeded`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginThrottled => "login_throttled",
            Self::PasswordChanged => "password_changed",
            Self::Reauthenticated => "reauthenticated",
            Self::MfaEnabled => "mfa_enabled",
            Self::MfaDisabled => "mfa_disabled",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::SessionRevoked => "session_revoked",
            Self::ConnectionAdded => "connection_added",
            Self::ConnectionRemoved => "connection_removed",
            Self::CredentialsChanged => "credentials_changed",
            Self::DataExported => "data_exported",
            Self::TierChanged => "tier_changed",
            Self::AppPasswordCreated => "app_password_created",
            Self::AppPasswordRevoked => "app_password_revoked",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// One entry of an account's security log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    /// Row id (UUID v7, so newer sorts later).
    pub id: Uuid,
    /// Whose account.
    pub user_id: UserId,
    /// What happened.
    pub kind: SecurityEventKind,
    /// When.
    pub at: Timestamp,
    /// From where, when a request caused it.
    pub client: ClientInfo,
    /// A word more where the kind needs one (the provider, the new tier); never a secret.
    pub detail: Option<String>,
    /// A login from a device or address the account had not used before.
    pub new_device: bool,
    /// When the owner said a flagged event was theirs.
    pub acknowledged_at: Option<Timestamp>,
}

impl SecurityEvent {
    /// A new event at `at`.
    pub fn new(user_id: UserId, kind: SecurityEventKind, at: Timestamp) -> Self {
        Self {
            id: Uuid::now_v7(),
            user_id,
            kind,
            at,
            client: ClientInfo::default(),
            detail: None,
            new_device: false,
            acknowledged_at: None,
        }
    }

    /// The same, from `client`.
    pub fn from_client(mut self, client: &ClientInfo) -> Self {
        self.client = client.clone();
        self
    }

    /// The same, with a detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Whether the owner should be shown it until they acknowledge it.
    pub fn needs_attention(&self) -> bool {
        self.new_device && self.acknowledged_at.is_none()
    }
}

/// A user agent as people name it ("Firefox on Linux"), so that a browser update is not a new
/// device; `None` when nothing is recognised.
pub fn device_family(agent: &str) -> Option<String> {
    const BROWSERS: [(&str, &str); 6] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(mark, _)| agent.contains(mark))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => Some(format!("{browser} on {system}")),
        (Some(name), None) | (None, Some(name)) => Some(name.to_owned()),
        (None, None) => None,
    }
}

/// What an account's earlier logins say of a new one's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KnownClient {
    /// The account had logged in before.
    pub any_login: bool,
    /// From a device of the same family.
    pub device_seen: bool,
    /// From the same address.
    pub address_seen: bool,
}

impl KnownClient {
    /// Whether a login from this client deserves its owner's attention: the account was used
    /// before, and never from this device or never from this address.
    pub fn is_new(&self) -> bool {
        self.any_login && !(self.device_seen && self.address_seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36";
        let newer = chrome.replace("141.0", "142.0");
        assert_eq!(device_family(chrome).as_deref(), Some("Chrome on Linux"));
        assert_eq!(device_family(chrome), device_family(&newer));
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_family(iphone).as_deref(), Some("Safari on iOS"));
        assert_eq!(device_family("curl/8.5.0"), None);
    }

    #[test]
    fn kinds_have_stable_names() {
        for kind in SecurityEventKind::ALL {
            assert_eq!(SecurityEventKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn only_a_known_account_on_an_unknown_client_is_new() {
        let first = KnownClient::default();
        assert!(!first.is_new());
        let known = KnownClient {
            any_login: true,
            device_seen: true,
            address_seen: true,
        };
        assert!(!known.is_new());
        assert!(
            KnownClient {
                address_seen: false,
                ..known
            }
            .is_new()
        );
    }
}
