//! The people in a room: accounts and guests, their names, and a guest's room-scoped token.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore as _};
use sha2::{Digest, Sha256};
use soiree_kernel::{Timestamp, UserId};
use uuid::Uuid;

use crate::room::RoomId;

/// Identifies a participant within its room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(Uuid);

impl ParticipantId {
    /// A fresh id.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
    /// Wraps a stored id.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }
    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

/// Who a participant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Identity {
    /// A signed-in account.
    User(UserId),
    /// A guest with a room-scoped token.
    Guest,
}

/// A nickname a guest chooses, or the name an account shows: 1 to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nickname(String);

/// Why a nickname was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a display name has 1 to 40 characters and no control characters")]
pub struct InvalidNickname;

impl Nickname {
    /// The name an erased account's participation keeps: "Former guest" and four characters of
    /// the participation's own id, so that it stays distinct in its room and names nobody.
    pub fn erased(participant: ParticipantId) -> Self {
        let id = participant.as_uuid().simple().to_string();
        Self(format!("Former guest {}", &id[id.len() - 4..]))
    }

    /// Parses a nickname (longer account names are shortened rather than refused by callers).
    pub fn parse(text: &str) -> Result<Self, InvalidNickname> {
        let text = text.trim();
        let valid = (1..=40).contains(&text.chars().count()) && !text.chars().any(char::is_control);
        valid.then(|| Self(text.to_owned())).ok_or(InvalidNickname)
    }

    /// This nickname, or, when it is among `taken` (lowercase), the first of its
    /// [`candidates`](Self::candidates) that is not.
    pub fn distinct_from(self, taken: &[String]) -> Self {
        let taken: std::collections::HashSet<&str> = taken.iter().map(String::as_str).collect();
        let found = self
            .candidates()
            .find(|candidate| !taken.contains(Self::key_of(candidate.as_str()).as_str()));
        found.unwrap_or(self)
    }

    /// The names this nickname may take in a room, in order: itself, then with the first free
    /// number after it ("Ada 2", "Ada 3", ...), shortened to fit 40 characters.
    pub fn candidates(&self) -> impl Iterator<Item = Nickname> + '_ {
        std::iter::once(self.clone()).chain((2_u32..).map(|number| {
            let suffix = format!(" {number}");
            let room = 40 - suffix.chars().count();
            let stem: String = self.0.chars().take(room).collect();
            Nickname(format!("{}{suffix}", stem.trim_end()))
        }))
    }

    /// What a name is compared by in a room: lower case ("Ada" and "ada" collide).
    pub fn key_of(name: &str) -> String {
        name.to_lowercase()
    }

    /// An account's display name as a room nickname: shortened to 40 characters, or "Guest" if
    /// nothing printable is left.
    pub fn shortened(name: &str) -> Self {
        let short: String = name
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(40)
            .collect();
        Self::parse(&short).unwrap_or_else(|_| Self("Guest".to_owned()))
    }

    /// The nickname.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Someone in a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// Id within the room.
    pub id: ParticipantId,
    /// The room.
    pub room_id: RoomId,
    /// Account or guest.
    pub identity: Identity,
    /// The name others see.
    pub display_name: Nickname,
    /// When they joined (first time).
    pub joined_at: Timestamp,
    /// When they left or were removed; `None` while in the room.
    pub left_at: Option<Timestamp>,
    /// Whether the host removed them (then they cannot join again).
    pub kicked: bool,
    /// Last sign of life (a request or a connected socket), for "present" thresholds.
    pub last_seen_at: Timestamp,
    /// For a guest, where they joined from: guests from one source share one vote budget.
    pub source: Option<GuestSource>,
}

/// Where a guest joined from, as an opaque key the app derives (a digest of the client's
/// address): however many guests one phone or one script makes, they share what one guest may do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GuestSource(String);

impl GuestSource {
    /// Wraps a key (at most 64 characters are kept).
    pub fn new(key: &str) -> Self {
        Self(key.chars().take(64).collect())
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Participant {
    /// Whether they are in the room now.
    pub fn is_active(&self) -> bool {
        self.left_at.is_none()
    }
}

/// The prefix that marks a guest token.
const GUEST_PREFIX: &str = "g_";
/// Characters of a guest token: the prefix and 256 bits in unpadded base64url (43 characters).
/// A session token is those 43 characters alone, so the two can never be taken for each other,
/// even when a session token happens to begin with `g_`.
const GUEST_TOKEN_CHARS: usize = GUEST_PREFIX.len() + 43;

/// A guest's bearer secret for one room: 256 random bits, shown once; only its SHA-256 is kept.
pub struct GuestToken(String);

impl fmt::Debug for GuestToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("GuestToken([REDACTED])")
    }
}

impl GuestToken {
    /// A fresh token.
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(format!("{GUEST_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The token, to hand to the guest once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash storage keeps, for a presented token.
    pub fn hash_of(presented: &str) -> String {
        hex::encode(Sha256::digest(presented.as_bytes()))
    }

    /// Whether a presented bearer token has the shape of a guest token (rather than of a session
    /// token): the prefix, and the length only guest tokens have.
    pub fn looks_like(presented: &str) -> bool {
        presented.len() == GUEST_TOKEN_CHARS
            && presented.starts_with(GUEST_PREFIX)
            && presented[GUEST_PREFIX.len()..]
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_tokens_are_distinct_and_only_hashed() {
        let first = GuestToken::generate();
        let second = GuestToken::generate();
        assert_ne!(first.expose(), second.expose());
        assert!(GuestToken::looks_like(first.expose()));
        assert_eq!(GuestToken::hash_of(first.expose()).len(), 64);
        assert!(!format!("{first:?}").contains(first.expose()));
    }

    #[test]
    fn a_session_token_that_begins_with_g_is_not_taken_for_a_guest_token() {
        // One session token in 4 096 begins with `g_` (43 base64url characters). The old rule
        // (the prefix alone) sent such a person's every room request down the guest path.
        let session_shaped = format!("g_{}", "A".repeat(41));
        assert_eq!(session_shaped.len(), 43);
        assert!(!GuestToken::looks_like(&session_shaped));
        assert!(!GuestToken::looks_like(&format!("g_{}", "!".repeat(43))));
        assert!(GuestToken::looks_like(&format!("g_{}", "A".repeat(43))));
    }

    #[test]
    fn account_names_are_shortened_to_fit_a_room() {
        assert_eq!(Nickname::shortened(&"x".repeat(60)).as_str().len(), 40);
        assert_eq!(Nickname::shortened("\u{7}").as_str(), "Guest");
        assert_eq!(Nickname::shortened(" Ada ").as_str(), "Ada");
    }

    #[test]
    fn a_nickname_taken_in_the_room_gets_a_number() {
        let taken = ["ada".to_owned(), "ada 2".to_owned(), "host".to_owned()];
        let name = |text: &str| Nickname::parse(text).unwrap();
        assert_eq!(name("Bob").distinct_from(&taken).as_str(), "Bob");
        assert_eq!(name("ADA").distinct_from(&taken).as_str(), "ADA 3");
        assert_eq!(name("Host").distinct_from(&taken).as_str(), "Host 2");
        let long = "x".repeat(40);
        let taken = [long.clone()];
        let distinct = name(&long).distinct_from(&taken);
        assert_eq!(distinct.as_str().chars().count(), 40);
        assert!(distinct.as_str().ends_with(" 2"));
    }
}
