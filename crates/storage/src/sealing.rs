//! Sealing secrets at rest (CR-1): provider client secrets, access and refresh tokens and PKCE
//! verifiers are stored only as AES-256-GCM ciphertexts, under a key that lives outside the
//! database. A database dump alone yields nothing usable.
//!
//! A sealed value reads `v1.{key id}.{base64url(nonce ‖ ciphertext ‖ tag)}`. Each value gets a
//! fresh 96-bit random nonce, so equal secrets seal differently. The key id lets a deployment
//! rotate keys: values sealed under an older key still open while that key is listed as previous.
//! Each value is bound to where it is stored (the `context`, used as associated data), so a
//! ciphertext copied into another row or column does not open.

use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretString};

const FORMAT: &str = "v1";
const NONCE_BYTES: usize = 12;

/// A 256-bit key and its id.
#[derive(Clone)]
pub struct SealingKey {
    id: String,
    key: Key<Aes256Gcm>,
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "SealingKey({}, [REDACTED])", self.id)
    }
}

/// Why a key could not be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "a secret key is written as ID:BASE64, where ID is 1 to 16 letters or digits and BASE64 encodes 32 bytes \
     (for example k1:{{44 characters}}); several keys are separated by commas, the current one first"
)]
pub struct InvalidKey;

/// Why a sealed value could not be opened. Never carries the value.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Not in the `v1.{id}.{data}` format.
    #[error("the stored value is not a sealed secret")]
    Malformed,
    /// Sealed under a key id that is not configured.
    #[error(
        "the stored secret was sealed with key {0:?}, which is not configured; add it as a previous key"
    )]
    UnknownKey(String),
    /// The key is wrong, the value was altered, or it was moved from another place.
    #[error(
        "the stored secret does not open with the configured key (wrong key, or the value was altered)"
    )]
    Rejected,
}

impl SealingKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate(id: &str) -> Result<Self, InvalidKey> {
        Self::check_id(id)?;
        Ok(Self {
            id: id.to_owned(),
            key: Aes256Gcm::generate_key(OsRng),
        })
    }

    /// Reads one key written as `ID:BASE64`.
    pub fn parse(text: &str) -> Result<Self, InvalidKey> {
        let (id, encoded) = text.trim().split_once(':').ok_or(InvalidKey)?;
        Self::check_id(id)?;
        let bytes = STANDARD
            .decode(encoded.trim())
            .or_else(|_| URL_SAFE_NO_PAD.decode(encoded.trim()))
            .map_err(|_| InvalidKey)?;
        if bytes.len() != 32 {
            return Err(InvalidKey);
        }
        Ok(Self {
            id: id.to_owned(),
            key: *Key::<Aes256Gcm>::from_slice(&bytes),
        })
    }

    /// The key written as `ID:BASE64`, for a key file.
    pub fn encode(&self) -> SecretString {
        SecretString::from(format!("{}:{}", self.id, STANDARD.encode(self.key)))
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn check_id(id: &str) -> Result<(), InvalidKey> {
        let valid = (1..=16).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric());
        valid.then_some(()).ok_or(InvalidKey)
    }
}

/// Seals with the current key; opens with the current or a previous one.
#[derive(Debug, Clone)]
pub struct Sealer {
    current: SealingKey,
    previous: Vec<SealingKey>,
}

impl Sealer {
    /// A sealer over `current` and any number of older keys.
    pub fn new(current: SealingKey, previous: Vec<SealingKey>) -> Self {
        Self { current, previous }
    }

    /// Reads `ID:BASE64[,ID:BASE64...]`, the current key first.
    pub fn parse(keys: &str) -> Result<Self, InvalidKey> {
        let mut keys = keys
            .split(',')
            .filter(|key| !key.trim().is_empty())
            .map(SealingKey::parse);
        let current = keys.next().ok_or(InvalidKey)??;
        let previous = keys.collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(current, previous))
    }

    /// Seals `secret` for storage at `context` (such as `connections.client_secret:{user}:{provider}`).
    pub fn seal(&self, secret: &SecretString, context: &str) -> anyhow::Result<String> {
        let cipher = Aes256Gcm::new(&self.current.key);
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: secret.expose_secret().as_bytes(),
            aad: context.as_bytes(),
        };
        let ciphertext = cipher
            .encrypt(&nonce, payload)
            .map_err(|_| anyhow::anyhow!("sealing a secret failed"))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(format!(
            "{FORMAT}.{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(sealed)
        ))
    }

    /// Opens a value sealed for `context`. Fails closed: anything but an intact value sealed for
    /// this very context under a configured key is an error.
    pub fn open(&self, sealed: &str, context: &str) -> Result<SecretString, OpenError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(FORMAT), Some(key_id), Some(data)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(OpenError::Malformed);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == key_id)
            .ok_or_else(|| OpenError::UnknownKey(key_id.to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(data)
            .map_err(|_| OpenError::Malformed)?;
        if bytes.len() < NONCE_BYTES {
            return Err(OpenError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plaintext = Aes256Gcm::new(&key.key)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Rejected)?;
        String::from_utf8(plaintext)
            .map(SecretString::from)
            .map_err(|_| OpenError::Rejected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    #[test]
    fn cr_1_sealed_values_open_only_with_the_key_and_context() {
        let sealer = Sealer::new(SealingKey::generate("k1").unwrap(), vec![]);
        let canary = "canary-client-secret-0123";
        let first = sealer.seal(&secret(canary), "row:1").unwrap();
        let second = sealer.seal(&secret(canary), "row:1").unwrap();
        assert_ne!(first, second, "equal secrets seal differently");
        assert!(!first.contains(canary) && first.starts_with("v1.k1."));
        assert_eq!(
            sealer.open(&first, "row:1").unwrap().expose_secret(),
            canary
        );

        assert!(
            matches!(sealer.open(&first, "row:2"), Err(OpenError::Rejected)),
            "moved to another row"
        );
        let other_key = Sealer::new(
            SealingKey::parse(&format!("k1:{}", STANDARD.encode([7_u8; 32]))).unwrap(),
            vec![],
        );
        assert!(
            matches!(other_key.open(&first, "row:1"), Err(OpenError::Rejected)),
            "wrong key fails closed"
        );
        let mut altered = first.clone();
        altered.replace_range(first.len() - 2.., "AA");
        assert!(sealer.open(&altered, "row:1").is_err());
        assert!(matches!(
            sealer.open(canary, "row:1"),
            Err(OpenError::Malformed)
        ));
    }

    #[test]
    fn rotated_keys_still_open_old_values() {
        let old = SealingKey::generate("k1").unwrap();
        let sealed = Sealer::new(old.clone(), vec![])
            .seal(&secret("token"), "c")
            .unwrap();
        let rotated = Sealer::parse(&format!(
            "{},{}",
            SealingKey::generate("k2").unwrap().encode().expose_secret(),
            old.encode().expose_secret()
        ))
        .unwrap();
        assert_eq!(rotated.open(&sealed, "c").unwrap().expose_secret(), "token");
        assert!(
            rotated
                .seal(&secret("token"), "c")
                .unwrap()
                .starts_with("v1.k2.")
        );
        let without_old = Sealer::new(SealingKey::generate("k2").unwrap(), vec![]);
        assert!(
            matches!(without_old.open(&sealed, "c"), Err(OpenError::UnknownKey(id)) if id == "k1")
        );
    }

    #[test]
    fn keys_parse_and_print_round_trip() {
        let key = SealingKey::generate("main").unwrap();
        let parsed = SealingKey::parse(key.encode().expose_secret()).unwrap();
        assert_eq!(parsed.key, key.key);
        for bad in [
            "",
            "k1",
            "k1:abc",
            "bad id:AAAA",
            &format!("k1:{}", STANDARD.encode([1_u8; 16])),
        ] {
            assert!(SealingKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(!format!("{key:?}").contains(&STANDARD.encode(key.key)));
    }
}
