//! Value types of connections. Secrets are `SecretString`s and print as `[REDACTED]`.

use std::fmt;
use std::str::FromStr;

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use soiree_kernel::{Timestamp, UserId};

/// A streaming provider Soirée can connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// Spotify (accounts service and Web API).
    Spotify,
    /// SoundCloud.
    SoundCloud,
}

impl Provider {
    /// Every provider, in the order they are listed.
    pub const ALL: [Provider; 2] = [Provider::Spotify, Provider::SoundCloud];

    /// The stable lowercase name used in URLs, storage and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Spotify => "spotify",
            Provider::SoundCloud => "soundcloud",
        }
    }

    /// The name people know.
    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Spotify => "Spotify",
            Provider::SoundCloud => "SoundCloud",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A provider name that is not one of [`Provider::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?}; known providers are spotify and soundcloud")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|provider| provider.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownProvider(name.to_owned()))
    }
}

/// Why a client id or secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCredential {
    /// Empty, too long, or with spaces.
    #[error(
        "a client id is 1 to 255 characters without spaces, as shown in the provider's developer dashboard"
    )]
    ClientId,
    /// Empty, too long, or with spaces.
    #[error(
        "a client secret is 1 to 255 characters without spaces, as shown in the provider's developer dashboard"
    )]
    ClientSecret,
}

fn credential_shape_ok(text: &str) -> bool {
    (1..=255).contains(&text.len()) && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The public id of a provider developer app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    /// Parses a client id as pasted (surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Self, InvalidCredential> {
        let text = text.trim();
        credential_shape_ok(text)
            .then(|| Self(text.to_owned()))
            .ok_or(InvalidCredential::ClientId)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The shortest secret whose last four characters are shown (see [`ClientSecret::last_four`]).
pub const MIN_SHOWN_SECRET_CHARS: usize = 16;

/// The secret of a provider developer app. Write-only: it is shown back only as its last four
/// characters.
#[derive(Clone)]
pub struct ClientSecret(SecretString);

impl fmt::Debug for ClientSecret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("ClientSecret([REDACTED])")
    }
}

impl ClientSecret {
    /// Parses a client secret as pasted (surrounding spaces ignored).
    pub fn parse(secret: &SecretString) -> Result<Self, InvalidCredential> {
        let text = secret.expose_secret().trim();
        credential_shape_ok(text)
            .then(|| Self(SecretString::from(text.to_owned())))
            .ok_or(InvalidCredential::ClientSecret)
    }

    /// The secret, for the token request.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// The last four characters, all that is ever shown of a secret, and only of one of at least
    /// [`MIN_SHOWN_SECRET_CHARS`] characters: four of sixteen leave twelve unknown, while four of
    /// a short secret give most of it away. Real apps' secrets are longer (Spotify's have 32).
    pub fn last_four(&self) -> Option<String> {
        let text = self.0.expose_secret();
        let length = text.chars().count();
        (length >= MIN_SHOWN_SECRET_CHARS).then(|| text.chars().skip(length - 4).collect())
    }
}

/// A user's developer app at one provider.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    /// Public id.
    pub client_id: ClientId,
    /// Secret.
    pub client_secret: ClientSecret,
}

/// Tokens of a connected account.
#[derive(Clone)]
pub struct TokenSet {
    /// Sent with every API call.
    pub access_token: SecretString,
    /// Used to get a new access token; absent if the provider did not issue one.
    pub refresh_token: Option<SecretString>,
    /// When the access token stops working.
    pub expires_at: Timestamp,
    /// The scopes granted, as the provider wrote them.
    pub scope: Option<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TokenSet")
            .field("expires_at", &self.expires_at)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenSet {
    /// Whether the access token is still usable at `now` with `margin` to spare.
    pub fn is_fresh(&self, now: Timestamp, margin: Duration) -> bool {
        now + margin < self.expires_at
    }

    /// The tokens after a refresh that returned `grant`: a new refresh token replaces the old
    /// one; a response without one keeps the old one (OA-5).
    pub fn refreshed_with(&self, grant: TokenGrant, now: Timestamp) -> TokenSet {
        let mut next = grant.into_token_set(now);
        if next.refresh_token.is_none() {
            next.refresh_token = self.refresh_token.clone();
        }
        next
    }
}

/// What a provider's token endpoint returned.
#[derive(Clone)]
pub struct TokenGrant {
    /// The new access token.
    pub access_token: SecretString,
    /// A new refresh token, when the provider issued one.
    pub refresh_token: Option<SecretString>,
    /// How long the access token lives.
    pub expires_in: Duration,
    /// The granted scopes.
    pub scope: Option<String>,
}

impl fmt::Debug for TokenGrant {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TokenGrant")
            .field("expires_in", &self.expires_in)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

impl TokenGrant {
    /// The grant as stored tokens, issued at `now`.
    pub fn into_token_set(self, now: Timestamp) -> TokenSet {
        TokenSet {
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            expires_at: now + self.expires_in,
            scope: self.scope,
        }
    }
}

/// The provider account a connection is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAccount {
    /// The provider's stable id for the account (Spotify `account_id` or `id`; SoundCloud URN).
    pub id: String,
    /// The account's display name, when the provider tells.
    pub display_name: Option<String>,
}

/// Everything stored about one user's link to one provider.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Whose connection.
    pub user_id: UserId,
    /// Which provider.
    pub provider: Provider,
    /// The user's developer app, once configured.
    pub credentials: Option<ClientCredentials>,
    /// Tokens, once connected.
    pub tokens: Option<TokenSet>,
    /// The linked provider account, once connected.
    pub account: Option<ProviderAccount>,
    /// Why the user must connect again, when the provider stopped accepting the authorization.
    pub needs_reconnect: Option<String>,
}

impl Connection {
    /// A connection with nothing configured yet.
    pub fn empty(user_id: UserId, provider: Provider) -> Self {
        Self {
            user_id,
            provider,
            credentials: None,
            tokens: None,
            account: None,
            needs_reconnect: None,
        }
    }

    /// Where this connection stands.
    pub fn status(&self) -> ConnectionStatus {
        match (
            &self.credentials,
            &self.needs_reconnect,
            &self.tokens,
            &self.account,
        ) {
            (None, _, _, _) => ConnectionStatus::NotConfigured,
            (Some(_), Some(reason), _, _) => ConnectionStatus::NeedsReconnect {
                reason: reason.clone(),
            },
            (Some(_), None, Some(_), Some(account)) => ConnectionStatus::Connected {
                account: account.clone(),
            },
            (Some(_), None, _, _) => ConnectionStatus::Configured,
        }
    }
}

/// Where a user's connection to a provider stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionStatus {
    /// No developer app configured: paste a client id and secret first.
    NotConfigured,
    /// A developer app is configured; the account is not connected.
    Configured,
    /// Connected to this provider account.
    Connected {
        /// The linked account.
        account: ProviderAccount,
    },
    /// The provider no longer accepts the stored authorization; connect again.
    NeedsReconnect {
        /// Why, in a sentence.
        reason: String,
    },
}

/// The SHA-256 of an OAuth `state`, hex. Only this is stored, like a session token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StateHash(String);

impl StateHash {
    /// The hash of a presented state.
    pub fn of(state: &str) -> Self {
        Self(hex::encode(Sha256::digest(state.as_bytes())))
    }

    /// Wraps a hash read back from storage.
    pub fn from_hex(hex: String) -> Self {
        Self(hex)
    }

    /// The hash as hex.
    pub fn as_hex(&self) -> &str {
        &self.0
    }
}

/// What an OAuth adapter produces to start an authorization.
pub struct AuthorizationStart {
    /// Where to send the browser.
    pub authorize_url: String,
    /// The `state` in that URL (at least 128 random bits).
    pub state: SecretString,
    /// The PKCE verifier whose S256 challenge is in that URL.
    pub pkce_verifier: SecretString,
}

impl fmt::Debug for AuthorizationStart {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("AuthorizationStart([REDACTED])")
    }
}

/// An authorization in progress, stored between the authorize call and the callback (OA-1).
#[derive(Clone)]
pub struct PendingAuthorization {
    /// Hash of the `state`.
    pub state_hash: StateHash,
    /// Who started it.
    pub user_id: UserId,
    /// In which login session (the callback must arrive in the same one).
    pub session_id: String,
    /// For which provider.
    pub provider: Provider,
    /// The PKCE verifier to send with the code.
    pub pkce_verifier: SecretString,
    /// The callback is refused after this.
    pub expires_at: Timestamp,
}

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("PendingAuthorization")
            .field("user_id", &self.user_id)
            .field("provider", &self.provider)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What the provider sent back to the callback.
#[derive(Debug, Default, Clone)]
pub struct CallbackParams {
    /// `state`, if present.
    pub state: Option<String>,
    /// `code`, if present.
    pub code: Option<String>,
    /// `error` (such as `access_denied`), if present.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn credentials_are_parsed_and_the_secret_shows_only_four_characters() {
        assert!(ClientId::parse("  abc123  ").is_ok());
        assert_eq!(
            ClientId::parse("with space"),
            Err(InvalidCredential::ClientId)
        );
        assert_eq!(ClientId::parse(""), Err(InvalidCredential::ClientId));
        let secret = ClientSecret::parse(&SecretString::from("s3cr3t-value-WXYZ")).unwrap();
        assert_eq!(secret.last_four().as_deref(), Some("WXYZ"));
        assert!(!format!("{secret:?}").contains("s3cr3t"));
        // Four characters of a short secret would be most of it: nothing is shown.
        for short in ["ab", "abcd", "fifteen-chars-x"] {
            let secret = ClientSecret::parse(&SecretString::from(short)).unwrap();
            assert_eq!(secret.last_four(), None, "{short}");
        }
    }

    #[test]
    fn oa_5_a_refresh_without_a_refresh_token_keeps_the_old_one() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let grant = |refresh: Option<&str>| TokenGrant {
            access_token: SecretString::from("access"),
            refresh_token: refresh.map(|token| SecretString::from(token.to_owned())),
            expires_in: Duration::hours(1),
            scope: None,
        };
        let tokens = grant(Some("first")).into_token_set(now);
        let kept = tokens.refreshed_with(grant(None), now);
        assert_eq!(
            kept.refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            Some("first".into())
        );
        let rotated = tokens.refreshed_with(grant(Some("second")), now);
        assert_eq!(
            rotated
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            Some("second".into())
        );
        assert_eq!(rotated.expires_at, now + Duration::hours(1));
    }

    #[test]
    fn status_follows_what_is_stored() {
        let user = UserId::generate();
        let mut connection = Connection::empty(user, Provider::Spotify);
        assert_eq!(connection.status(), ConnectionStatus::NotConfigured);
        connection.credentials = Some(ClientCredentials {
            client_id: ClientId::parse("id").unwrap(),
            client_secret: ClientSecret::parse(&SecretString::from("secret")).unwrap(),
        });
        assert_eq!(connection.status(), ConnectionStatus::Configured);
        connection.account = Some(ProviderAccount {
            id: "a".into(),
            display_name: Some("Ada".into()),
        });
        connection.tokens = Some(TokenSet {
            access_token: SecretString::from("x"),
            refresh_token: None,
            expires_at: DateTime::from_timestamp(0, 0).unwrap(),
            scope: None,
        });
        assert!(matches!(
            connection.status(),
            ConnectionStatus::Connected { .. }
        ));
        connection.needs_reconnect = Some("revoked".into());
        assert!(matches!(
            connection.status(),
            ConnectionStatus::NeedsReconnect { .. }
        ));
        assert_eq!("SoundCloud".parse::<Provider>(), Ok(Provider::SoundCloud));
        assert!("tidal".parse::<Provider>().is_err());
    }
}
