//! Opaque sessions: a random token shown once to the client, of which only a SHA-256 is kept.

use std::fmt;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use soiree_kernel::{Timestamp, UserId};
use uuid::Uuid;

/// Identifies a session row. Not a secret: it cannot be used to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(Uuid);

impl SessionId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps an id read back from storage.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// The bearer secret of a session: 256 random bits, base64url without padding (43 characters).
/// It is handed to the client once and never stored.
pub struct SessionToken(SecretString);

impl fmt::Debug for SessionToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("SessionToken([REDACTED])")
    }
}

/// The length of an encoded [`SessionToken`].
const TOKEN_CHARS: usize = 43;

impl SessionToken {
    /// A fresh random token from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Accepts a token presented by a client, if it has the shape of one. A token of any other
    /// shape cannot be valid, so it is refused without a storage lookup.
    pub fn from_presented(text: &str) -> Option<Self> {
        let well_formed = text.len() == TOKEN_CHARS
            && text
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        well_formed.then(|| Self(SecretString::from(text.to_owned())))
    }

    /// The token, to hand to the client.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// What storage keeps instead of the token.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(
            self.0.expose_secret().as_bytes(),
        )))
    }
}

/// The SHA-256 of a session token, in lowercase hex. A stolen database yields only these, which
/// cannot be turned back into tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    /// Wraps a hash read back from storage.
    pub fn from_hex(hex: String) -> Self {
        Self(hex)
    }

    /// The hash as lowercase hex.
    pub fn as_hex(&self) -> &str {
        &self.0
    }
}

/// How long sessions live. Defaults: 2 hours idle, 24 hours absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after login, however busy it is.
    pub absolute_timeout: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::hours(2),
            absolute_timeout: Duration::hours(24),
        }
    }
}

/// How often a busy session's last use is written back. Idle expiry is therefore exact to within
/// this interval, and a busy client costs one write a minute rather than one per request.
pub(crate) const LAST_SEEN_RESOLUTION: Duration = Duration::seconds(60);

/// A login session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Row id.
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// The hash of the token.
    pub token_hash: TokenHash,
    /// When the user logged in.
    pub created_at: Timestamp,
    /// When the user last proved who they are in this session: the login, or a later step-up
    /// (`POST /api/v1/auth/reauthenticate`). Sensitive changes need it to be recent.
    pub authenticated_at: Timestamp,
    /// When the session was last used (to within a minute).
    pub last_seen_at: Timestamp,
    /// The absolute end of the session, fixed at login.
    pub expires_at: Timestamp,
    /// When the session was revoked (logout, password change, erasure), if it was.
    pub revoked_at: Option<Timestamp>,
    /// Where it was opened from, as the person should recognise it.
    pub client: ClientInfo,
}

/// What a login came from: the browser or program (its user agent) and the client address, as
/// the person's list of sessions shows them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientInfo {
    /// The `User-Agent` sent, at most [`ClientInfo::MAX_DEVICE_CHARS`] characters.
    pub device: Option<String>,
    /// The client address (behind a trusted proxy, the one it names).
    pub address: Option<String>,
}

impl ClientInfo {
    /// The longest device description kept.
    pub const MAX_DEVICE_CHARS: usize = 200;

    /// A client from what the request said, trimmed to what is worth keeping.
    pub fn new(device: Option<&str>, address: Option<std::net::IpAddr>) -> Self {
        Self {
            device: device
                .map(|device| {
                    device
                        .chars()
                        .filter(|character| !character.is_control())
                        .take(Self::MAX_DEVICE_CHARS)
                        .collect::<String>()
                })
                .filter(|device| !device.trim().is_empty()),
            address: address.map(|address| address.to_string()),
        }
    }
}

impl Session {
    /// Whether the session may still authenticate requests at `now` under `policy`.
    pub fn is_active(&self, now: Timestamp, policy: &SessionPolicy) -> bool {
        self.revoked_at.is_none()
            && now < self.expires_at
            && now < self.last_seen_at + policy.idle_timeout
    }

    /// When the session will end if it stays unused from now on.
    pub fn ends_at(&self, policy: &SessionPolicy) -> Timestamp {
        self.expires_at.min(self.last_seen_at + policy.idle_timeout)
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn tokens_are_256_bit_and_distinct() {
        let first = SessionToken::generate();
        let second = SessionToken::generate();
        assert_eq!(first.expose().len(), TOKEN_CHARS);
        assert_ne!(first.expose(), second.expose());
        assert_ne!(first.hash(), second.hash());
        assert_eq!(first.hash().as_hex().len(), 64);
        assert!(!format!("{first:?}").contains(first.expose()));
    }

    #[test]
    fn presented_tokens_of_the_wrong_shape_are_refused() {
        let token = SessionToken::generate();
        assert!(SessionToken::from_presented(token.expose()).is_some());
        for bad in [
            "",
            "short",
            &format!("{}=", &token.expose()[..42]),
            &format!("{}x", token.expose()),
        ] {
            assert!(SessionToken::from_presented(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn se_2_activity_window() {
        let policy = SessionPolicy::default();
        let login = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let session = Session {
            id: SessionId::generate(),
            user_id: UserId::generate(),
            token_hash: SessionToken::generate().hash(),
            created_at: login,
            authenticated_at: login,
            last_seen_at: login + Duration::hours(23),
            expires_at: login + policy.absolute_timeout,
            revoked_at: None,
            client: ClientInfo::default(),
        };
        let cases = [
            (Duration::hours(23) + Duration::minutes(59), true),
            (Duration::hours(24), false),
        ];
        for (after_login, active) in cases {
            assert_eq!(
                session.is_active(login + after_login, &policy),
                active,
                "{after_login}"
            );
        }
        let idle = Session {
            last_seen_at: login,
            ..session.clone()
        };
        assert!(idle.is_active(login + Duration::minutes(119), &policy));
        assert!(!idle.is_active(login + Duration::hours(2), &policy));
        let revoked = Session {
            revoked_at: Some(login),
            ..session
        };
        assert!(!revoked.is_active(login + Duration::hours(23), &policy));
    }
}
