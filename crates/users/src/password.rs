//! Passwords: the policy a new password must meet (PW-2) and how it is hashed (PW-1).

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use crate::model::Username;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password accepted, in characters. Well above the 128 that ASVS asks for; the
/// limit exists only so that nobody can make the server hash megabytes.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Passwords of 8 characters or more that appear in leaked-password lists (see `data/README.md`).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .collect()
});

/// A password that met the policy for new passwords: 8 to 1024 characters, any characters, no
/// composition rules, not a commonly used password, not the username. It is never truncated.
pub struct Password(SecretString);

impl fmt::Debug for Password {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Password([REDACTED])")
    }
}

/// Why a new password was refused. The messages never repeat the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error(
        "a password needs at least 8 characters; a few words make a long one that is easy to remember"
    )]
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[error("a password has at most 1024 characters")]
    TooLong,
    /// Found in lists of commonly used passwords.
    #[error(
        "this password is one of the most commonly used ones and is easy to guess; choose another"
    )]
    Common,
    /// The same as the username.
    #[error("a password must not be the username")]
    SameAsUsername,
}

impl Password {
    /// Checks a new password against the policy.
    pub fn parse(candidate: SecretString, username: &Username) -> Result<Self, WeakPassword> {
        let text = candidate.expose_secret();
        let length = text.chars().count();
        if length < MIN_PASSWORD_CHARS {
            return Err(WeakPassword::TooShort);
        }
        if length > MAX_PASSWORD_CHARS {
            return Err(WeakPassword::TooLong);
        }
        let lowercase = text.to_lowercase();
        if COMMON_PASSWORDS.contains(lowercase.as_str()) {
            return Err(WeakPassword::Common);
        }
        if lowercase == username.key() {
            return Err(WeakPassword::SameAsUsername);
        }
        Ok(Self(candidate))
    }

    /// The password, for hashing.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

/// A password hash in PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("PasswordHash([REDACTED])")
    }
}

impl PasswordHash {
    /// Wraps a PHC string read back from storage.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for storage.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

/// Hashes and verifies passwords.
///
/// Contract: `hash` MUST produce a salted, slow hash whose PHC string records its parameters;
/// `verify` MUST return `Ok(false)` (not an error) for a wrong password, and SHOULD take about as
/// long as `hash`, so that a login for an unknown account cannot be told apart by its timing.
#[async_trait]
pub trait PasswordHasher: Send + Sync + fmt::Debug {
    /// Hashes a new password.
    async fn hash(&self, password: &SecretString) -> anyhow::Result<PasswordHash>;
    /// Whether `candidate` is the password behind `hash`.
    async fn verify(&self, candidate: &SecretString, hash: &PasswordHash) -> anyhow::Result<bool>;
}

/// Argon2id with OWASP's minimum parameters: 19 MiB of memory, 2 passes, 1 lane (PW-1).
///
/// The work runs on the calling thread (about 20 to 50 ms). An async server should call
/// [`Argon2idHasher::hash_blocking`] and [`Argon2idHasher::verify_blocking`] from a blocking pool;
/// the `soiree` app does so.
#[derive(Debug, Clone)]
pub struct Argon2idHasher {
    params: Params,
}

impl Default for Argon2idHasher {
    fn default() -> Self {
        // These constants are valid Argon2 parameters, so building them cannot fail; should a
        // future argon2 release disagree, its own defaults are the same OWASP minimum.
        let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
        Self { params }
    }
}

impl Argon2idHasher {
    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes on the calling thread.
    pub fn hash_blocking(&self, password: &SecretString) -> anyhow::Result<PasswordHash> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = self
            .argon2()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map_err(|error| anyhow::anyhow!("hashing a password: {error}"))?;
        Ok(PasswordHash(hash.to_string()))
    }

    /// Verifies on the calling thread, with the parameters recorded in the hash.
    pub fn verify_blocking(
        &self,
        candidate: &SecretString,
        hash: &PasswordHash,
    ) -> anyhow::Result<bool> {
        let parsed = password_hash::PasswordHash::new(&hash.0)
            .map_err(|error| anyhow::anyhow!("reading a stored password hash: {error}"))?;
        match self
            .argon2()
            .verify_password(candidate.expose_secret().as_bytes(), &parsed)
        {
            Ok(()) => Ok(true),
            Err(password_hash::Error::Password) => Ok(false),
            Err(error) => Err(anyhow::anyhow!("verifying a password: {error}")),
        }
    }
}

#[async_trait]
impl PasswordHasher for Argon2idHasher {
    async fn hash(&self, password: &SecretString) -> anyhow::Result<PasswordHash> {
        self.hash_blocking(password)
    }

    async fn verify(&self, candidate: &SecretString, hash: &PasswordHash) -> anyhow::Result<bool> {
        self.verify_blocking(candidate, hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn username() -> Username {
        Username::parse("ada").unwrap()
    }

    #[test]
    fn pw_2_password_policy() {
        let cases: &[(String, Result<(), WeakPassword>)] = &[
            ("seven77".into(), Err(WeakPassword::TooShort)),
            ("eight888".into(), Ok(())),
            ("password123".into(), Err(WeakPassword::Common)),
            ("PassWord123".into(), Err(WeakPassword::Common)),
            ("ADAadaada".into(), Ok(())),
            ("correct horse battery staple".into(), Ok(())),
            ("x".repeat(100) + "Z", Ok(())),
            ("é".repeat(1024), Ok(())),
            ("é".repeat(1025), Err(WeakPassword::TooLong)),
            ("🎉🎶🎉🎶🎉🎶🎉🎶".into(), Ok(())),
        ];
        for (candidate, expected) in cases {
            let outcome =
                Password::parse(SecretString::from(candidate.clone()), &username()).map(|_| ());
            assert_eq!(
                &outcome,
                expected,
                "password of {} characters",
                candidate.chars().count()
            );
        }
        let same = Username::parse("longusername").unwrap();
        assert_eq!(
            Password::parse(SecretString::from("LongUserName"), &same).map(|_| ()),
            Err(WeakPassword::SameAsUsername)
        );
    }

    #[test]
    fn pw_1_hashes_are_argon2id_with_owasp_parameters() {
        let hasher = Argon2idHasher::default();
        let hash = hasher
            .hash_blocking(&SecretString::from("correct horse battery"))
            .unwrap();
        assert!(
            hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_phc()
        );
        let again = hasher
            .hash_blocking(&SecretString::from("correct horse battery"))
            .unwrap();
        assert_ne!(hash, again, "every hash has its own salt");
    }

    #[test]
    fn pw_2_verification_never_truncates() {
        let hasher = Argon2idHasher::default();
        let long = "a1".repeat(50);
        let hash = hasher
            .hash_blocking(&SecretString::from(long.clone()))
            .unwrap();
        assert!(
            hasher
                .verify_blocking(&SecretString::from(long.clone()), &hash)
                .unwrap()
        );
        assert!(
            !hasher
                .verify_blocking(&SecretString::from(long[..99].to_owned()), &hash)
                .unwrap()
        );
    }

    #[test]
    fn a_corrupt_stored_hash_is_an_error_not_a_mismatch() {
        let hasher = Argon2idHasher::default();
        let corrupt = PasswordHash::from_phc("not a phc string".into());
        assert!(
            hasher
                .verify_blocking(&SecretString::from("whatever1"), &corrupt)
                .is_err()
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let password =
            Password::parse(SecretString::from("correct horse battery"), &username()).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }
}
