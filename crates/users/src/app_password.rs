//! App passwords: a separate password per music app (the Subsonic API's clients), shown once,
//! revoked one by one, never the account's own password. They are kept sealed rather than hashed,
//! because the Subsonic protocol's token scheme (`t = md5(password + salt)`) needs the password
//! itself to check a token.

use std::fmt;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use secrecy::{ExposeSecret, SecretString};
use soiree_kernel::{Timestamp, UserId};
use uuid::Uuid;

/// An app password's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AppPasswordId(Uuid);

impl AppPasswordId {
    /// A fresh, time-ordered id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
    /// Wraps a stored or requested id.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }
    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

/// What a person calls an app password ("Phone", "Feishin on the laptop"): 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPasswordName(String);

/// Why an app password's name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an app password's name has 1 to 64 characters and no control characters")]
pub struct InvalidAppPasswordName;

impl AppPasswordName {
    /// Parses a name.
    pub fn parse(text: &str) -> Result<Self, InvalidAppPasswordName> {
        let text = text.trim();
        let fine = (1..=64).contains(&text.chars().count()) && !text.chars().any(char::is_control);
        fine.then(|| Self(text.to_owned()))
            .ok_or(InvalidAppPasswordName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The secret of an app password: 24 characters from an alphabet without look-alikes (about
/// 137 bits), easy to type into a phone.
pub struct AppSecret(SecretString);

impl fmt::Debug for AppSecret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("AppSecret([REDACTED])")
    }
}

const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";

impl AppSecret {
    /// A fresh secret.
    pub fn generate() -> Self {
        let mut text = String::with_capacity(24);
        while text.len() < 24 {
            let mut byte = [0_u8; 1];
            OsRng.fill_bytes(&mut byte);
            // Rejection sampling keeps every character equally likely.
            let index = usize::from(byte[0]);
            if index < ALPHABET.len() * (256 / ALPHABET.len()) {
                text.push(char::from(ALPHABET[index % ALPHABET.len()]));
            }
        }
        Self(SecretString::from(text))
    }

    /// A secret read back from storage.
    pub fn from_stored(secret: SecretString) -> Self {
        Self(secret)
    }

    /// The secret, to show once or to seal.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// What finds the secret's row when a music app presents it alone (the OpenSubsonic
    /// `apiKey`): its SHA-256 in hex. A secret of 24 random characters (about 140 bits) needs no
    /// slow hash: it cannot be guessed, only looked up.
    pub fn lookup(&self) -> String {
        lookup_of(self.expose())
    }

    /// Whether `credential` proves this secret (compared in constant time).
    pub fn proves(&self, credential: &AppCredential) -> bool {
        match credential {
            AppCredential::Password(password) => constant_time_eq(
                self.expose().as_bytes(),
                password.expose_secret().as_bytes(),
            ),
            AppCredential::Token { token, salt } => {
                use md5::Digest as _;
                let mut digest = md5::Md5::new();
                digest.update(self.expose().as_bytes());
                digest.update(salt.as_bytes());
                let expected = hex::encode(digest.finalize());
                constant_time_eq(expected.as_bytes(), token.to_ascii_lowercase().as_bytes())
            }
        }
    }
}

/// The lookup of a presented key (see [`AppSecret::lookup`]).
pub(crate) fn lookup_of(key: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

/// How a music app proves one of an account's app passwords (the Subsonic schemes).
pub enum AppCredential {
    /// The password itself (`p`, plain or `enc:` hex-decoded by the caller).
    Password(SecretString),
    /// `t = md5(password + s)` with the salt `s` the app chose.
    Token {
        /// The token, in hex.
        token: String,
        /// The salt.
        salt: String,
    },
}

impl fmt::Debug for AppCredential {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password(_) => formatter.write_str("Password([REDACTED])"),
            Self::Token { .. } => formatter.write_str("Token([REDACTED])"),
        }
    }
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// An app password as its owner's list shows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPassword {
    /// Its id.
    pub id: AppPasswordId,
    /// Whose.
    pub user_id: UserId,
    /// Its name.
    pub name: AppPasswordName,
    /// When it was made.
    pub created_at: Timestamp,
}

/// The most app passwords an account keeps.
pub const MAX_APP_PASSWORDS: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_never_printed() {
        let first = AppSecret::generate();
        let second = AppSecret::generate();
        assert_eq!(first.expose().len(), 24);
        assert_ne!(first.expose(), second.expose());
        assert!(first.expose().bytes().all(|byte| ALPHABET.contains(&byte)));
        assert!(!format!("{first:?}").contains(first.expose()));
    }

    #[test]
    fn every_subsonic_scheme_proves_the_secret() {
        let secret = AppSecret::from_stored(SecretString::from("sesame".to_owned()));
        let password = |text: &str| AppCredential::Password(SecretString::from(text.to_owned()));
        assert!(secret.proves(&password("sesame")));
        assert!(!secret.proves(&password("Sesame")));
        // The Subsonic documentation's own example: md5("sesame" + "c19b2d").
        let token = |token: &str| AppCredential::Token {
            token: token.to_owned(),
            salt: "c19b2d".to_owned(),
        };
        assert!(secret.proves(&token("26719a1196d2a940705a59634eb18eab")));
        assert!(secret.proves(&token("26719A1196D2A940705A59634EB18EAB")));
        assert!(!secret.proves(&token("26719a1196d2a940705a59634eb18eac")));
        assert_eq!(secret.lookup(), lookup_of("sesame"));
        assert_eq!(secret.lookup().len(), 64);
        assert!(!format!("{:?}", password("sesame")).contains("sesame"));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(AppPasswordName::parse(" Phone ").unwrap().as_str(), "Phone");
        assert!(AppPasswordName::parse("").is_err());
        assert!(AppPasswordName::parse(&"x".repeat(65)).is_err());
    }
}
