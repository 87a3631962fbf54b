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
    fn names_are_checked() {
        assert_eq!(AppPasswordName::parse(" Phone ").unwrap().as_str(), "Phone");
        assert!(AppPasswordName::parse("").is_err());
        assert!(AppPasswordName::parse(&"x".repeat(65)).is_err());
    }
}
