//! Two-step login (MF-1, MF-2): a TOTP seed per account (RFC 6238: SHA-1, 6 digits, 30-second
//! steps, one step of clock drift either way, each step accepted once), ten single-use recovery
//! codes kept only as hashes, and the short-lived challenge that joins a login's two steps.
//!
//! The codes themselves are computed by the `totp-rs` crate; this module decides which step a
//! code may still be accepted for.

use std::fmt;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};
use soiree_kernel::{Timestamp, UserId};
use totp_rs::{Algorithm, Builder};

use crate::session::{ClientInfo, SessionToken, TokenHash};

/// The name authenticator apps show beside the account.
pub const TOTP_ISSUER: &str = "Soirée";
/// How many recovery codes an account gets.
pub const RECOVERY_CODES: usize = 10;
/// How long a login's second step may wait for its code.
pub const CHALLENGE_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);
/// The length of a TOTP step.
const STEP_SECONDS: u64 = 30;
/// The bytes of a seed: 160 bits, as RFC 4226 recommends.
const SEED_BYTES: usize = 20;

/// The shared secret of an authenticator app. Never logged, never shown again after enrolment;
/// storage seals it.
pub struct TotpSeed(SecretBox<Vec<u8>>);

impl fmt::Debug for TotpSeed {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("TotpSeed([REDACTED])")
    }
}

impl Clone for TotpSeed {
    fn clone(&self) -> Self {
        Self::from_bytes(self.expose().to_vec())
    }
}

impl TotpSeed {
    /// A fresh random seed from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = vec![0_u8; SEED_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// A seed read back from storage.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(SecretBox::new(Box::new(bytes)))
    }

    /// A seed as an authenticator app is given it (base32, as in an `otpauth://` URI).
    pub fn from_base32(text: &str) -> Option<Self> {
        totp_rs::Secret::try_from_base32(text)
            .ok()
            .map(|secret| Self::from_bytes(secret.as_bytes().to_vec()))
    }

    /// The raw bytes, for storage to seal.
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret()
    }

    fn totp(&self, account: &str) -> anyhow::Result<totp_rs::Totp> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.expose().to_vec())
            .with_account_name(account.replace(':', "_"))
            .with_issuer(Some(TOTP_ISSUER))
            .build()
            .map_err(|error| anyhow::anyhow!("TOTP parameters refused: {error:?}"))
    }

    /// What an authenticator app needs to add the account: the `otpauth://` URI (shown as a QR
    /// code) and the seed in base32 (to type in by hand).
    pub fn enrolment(&self, account: &str) -> anyhow::Result<TotpEnrolment> {
        let totp = self.totp(account)?;
        let uri = totp
            .to_url()
            .map_err(|error| anyhow::anyhow!("otpauth URI: {error:?}"))?;
        Ok(TotpEnrolment {
            otpauth_uri: SecretString::from(uri),
            secret: SecretString::from(totp.secret().to_base32()),
        })
    }

    /// The step `code` belongs to, if it is this seed's code for the step of `now` or the one
    /// before or after (MF-1). Whether the step was already used is the caller's to check.
    pub fn step_of(&self, code: &TotpCode, now: Timestamp) -> Option<u64> {
        let seconds = u64::try_from(now.timestamp()).ok()?;
        self.totp("").ok()?.check(code.digits(), seconds)
    }

    /// The code for the step of `at` (what an authenticator app shows then), for tests and
    /// the simulator.
    pub fn code_at(&self, at: Timestamp) -> String {
        let seconds = u64::try_from(at.timestamp()).unwrap_or_default();
        self.totp("")
            .map(|totp| totp.generate(seconds).to_string())
            .unwrap_or_default()
    }
}

/// What enrolment shows once: both are as secret as the seed.
#[derive(Debug)]
pub struct TotpEnrolment {
    /// `otpauth://totp/Soir%C3%A9e:ada?secret=…&issuer=Soir%C3%A9e…`.
    pub otpauth_uri: SecretString,
    /// The seed in base32, for apps that cannot scan.
    pub secret: SecretString,
}

/// Six digits as typed (spaces allowed between them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpCode(String);

impl TotpCode {
    /// The code if `text` is six digits once spaces are removed.
    pub fn parse(text: &str) -> Option<Self> {
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        (digits.len() == 6 && digits.bytes().all(|byte| byte.is_ascii_digit()))
            .then_some(Self(digits))
    }

    fn digits(&self) -> &str {
        &self.0
    }
}

/// A single-use recovery code: 80 random bits as four groups of four base32 characters
/// (`k7qm-2xdp-9fwa-h3tc`), shown once; storage keeps only its [`RecoveryCodeHash`].
pub struct RecoveryCode(SecretString);

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("RecoveryCode([REDACTED])")
    }
}

/// Base32 without the letters people misread (RFC 4648's alphabet, lowercase).
const RECOVERY_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

impl RecoveryCode {
    /// A fresh code.
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 10];
        OsRng.fill_bytes(&mut bytes);
        let mut bits: u128 = 0;
        for byte in bytes {
            bits = (bits << 8) | u128::from(byte);
        }
        let mut text = String::with_capacity(19);
        for index in 0..16 {
            if index > 0 && index % 4 == 0 {
                text.push('-');
            }
            let shift = 75 - 5 * index;
            text.push(char::from(
                RECOVERY_ALPHABET[((bits >> shift) & 31) as usize],
            ));
        }
        Self(SecretString::from(text))
    }

    /// A code as typed, if it has the shape of one (any case; dashes and spaces ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let compact: String = text
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        let well_formed =
            compact.len() == 16 && compact.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
        well_formed.then(|| {
            let grouped = compact
                .as_bytes()
                .chunks(4)
                .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
                .collect::<Vec<_>>()
                .join("-");
            Self(SecretString::from(grouped))
        })
    }

    /// The code, to show once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// What storage keeps: the SHA-256 of the grouped code. 80 random bits make a fast hash
    /// enough (nothing to guess offline), and the lookup is a plain equality.
    pub fn hash(&self) -> RecoveryCodeHash {
        RecoveryCodeHash(hex::encode(Sha256::digest(self.expose().as_bytes())))
    }
}

/// The SHA-256 of a [`RecoveryCode`], lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecoveryCodeHash(String);

impl RecoveryCodeHash {
    /// Wraps a hash read back from storage.
    pub fn from_hex(hex: String) -> Self {
        Self(hex)
    }

    /// The hash as lowercase hex.
    pub fn as_hex(&self) -> &str {
        &self.0
    }
}

/// What a second step presents: a code from the app, or a recovery code.
#[derive(Debug)]
pub enum SecondFactor {
    /// Six digits from the authenticator app.
    Totp(TotpCode),
    /// One of the recovery codes.
    Recovery(RecoveryCode),
}

impl SecondFactor {
    /// Reads what was typed as either kind; `None` when it is neither.
    pub fn parse(text: &str) -> Option<Self> {
        TotpCode::parse(text)
            .map(Self::Totp)
            .or_else(|| RecoveryCode::parse(text).map(Self::Recovery))
    }
}

/// An account's two-step login as stored.
#[derive(Debug, Clone)]
pub struct MfaRecord {
    /// The seed.
    pub seed: TotpSeed,
    /// When enrolment was confirmed with a code; until then the seed is pending and login does
    /// not ask for a code.
    pub confirmed_at: Option<Timestamp>,
    /// The last step a code was accepted for; codes of this step or earlier are refused.
    pub last_step: Option<u64>,
    /// How many recovery codes are left.
    pub recovery_codes_left: u32,
}

impl MfaRecord {
    /// Whether login asks for a second step.
    pub fn is_enabled(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// Whether an account has two-step login, as the person's settings show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaStatus {
    /// Login asks for a code.
    pub enabled: bool,
    /// Enabled since.
    pub enabled_at: Option<Timestamp>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: u32,
}

/// The bearer of a login between its two steps: random, single use, short-lived; only its hash
/// is stored.
#[derive(Debug)]
pub struct ChallengeToken(SessionToken);

impl ChallengeToken {
    pub(crate) fn generate() -> Self {
        Self(SessionToken::generate())
    }

    /// A token presented by a client, if it has the shape of one.
    pub fn from_presented(text: &str) -> Option<Self> {
        SessionToken::from_presented(text).map(Self)
    }

    /// The token, to hand to the client.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// What storage keeps.
    pub fn hash(&self) -> TokenHash {
        self.0.hash()
    }
}

/// A login waiting for its second step.
#[derive(Debug, Clone)]
pub struct LoginChallenge {
    /// The hash of the [`ChallengeToken`].
    pub token_hash: TokenHash,
    /// Whose password was right.
    pub user_id: UserId,
    /// Where the login came from (the session gets it).
    pub client: ClientInfo,
    /// The end of the wait.
    pub expires_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn rfc_6238_vector() {
        // RFC 6238 appendix B, SHA-1: seed "12345678901234567890", T = 59 s → 94287082 (8 digits;
        // the last six are the 6-digit code).
        let seed = TotpSeed::from_bytes(b"12345678901234567890".to_vec());
        let at = DateTime::from_timestamp(59, 0).unwrap();
        assert_eq!(seed.code_at(at), "287082");
    }

    #[test]
    fn mf_1_codes_are_accepted_one_step_either_way_only() {
        let seed = TotpSeed::generate();
        let now = DateTime::from_timestamp(1_800_000_015, 0).unwrap();
        let step = 1_800_000_015 / 30;
        let code_at = |offset: i64| {
            TotpCode::parse(&seed.code_at(now + chrono::Duration::seconds(30 * offset))).unwrap()
        };
        assert_eq!(seed.step_of(&code_at(0), now), Some(step));
        assert_eq!(seed.step_of(&code_at(-1), now), Some(step - 1));
        assert_eq!(seed.step_of(&code_at(1), now), Some(step + 1));
        // Two steps old or ahead: refused (unless it happens to equal a current one, 3 in 10⁶).
        for offset in [-2, 2] {
            let code = code_at(offset);
            let collides = (-1..=1).any(|near| code_at(near) == code);
            assert!(collides || seed.step_of(&code, now).is_none(), "{offset}");
        }
    }

    #[test]
    fn codes_parse_with_spaces_only() {
        assert!(TotpCode::parse("123 456").is_some());
        for bad in ["12345", "1234567", "12a456", ""] {
            assert!(TotpCode::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn recovery_codes_are_random_and_read_back_in_any_case() {
        let code = RecoveryCode::generate();
        assert_eq!(code.expose().len(), 19);
        assert_ne!(code.expose(), RecoveryCode::generate().expose());
        let typed = code.expose().to_uppercase().replace('-', " ");
        let parsed = RecoveryCode::parse(&typed).unwrap();
        assert_eq!(parsed.hash(), code.hash());
        assert!(!format!("{code:?}").contains(code.expose()));
        assert!(RecoveryCode::parse("not-a-code").is_none());
        assert!(matches!(
            SecondFactor::parse("123456"),
            Some(SecondFactor::Totp(_))
        ));
        assert!(matches!(
            SecondFactor::parse(code.expose()),
            Some(SecondFactor::Recovery(_))
        ));
    }

    #[test]
    fn enrolment_names_the_issuer_and_account() {
        let seed = TotpSeed::generate();
        let enrolment = seed.enrolment("ada").unwrap();
        let uri = enrolment.otpauth_uri.expose_secret();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains("ada"), "{uri}");
        assert!(uri.contains(enrolment.secret.expose_secret()), "{uri}");
        assert!(!format!("{seed:?}").contains(enrolment.secret.expose_secret()));
    }
}
