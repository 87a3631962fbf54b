//! A room, its join code and its name.

use std::fmt;

use rand_core::{OsRng, RngCore as _};
use soiree_kernel::{Timestamp, UserId};
use uuid::Uuid;

use crate::threshold::{LikeThreshold, RoomOptions};

/// Identifies a room row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomId(Uuid);

impl RoomId {
    /// A fresh, time-ordered id.
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

impl fmt::Display for RoomId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}

/// The letters and digits a code is made of: no `0/O`, `1/I/L`, so that codes read aloud at a
/// party are not misheard.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a code.
pub const CODE_LENGTH: usize = 6;

/// A room's join code: 6 characters from [`CODE_ALPHABET`], read case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoomCode(String);

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a room code has 6 letters and digits, such as K7XQ2M")]
pub struct InvalidRoomCode;

impl RoomCode {
    /// Parses a code as typed, in any case.
    pub fn parse(text: &str) -> Result<Self, InvalidRoomCode> {
        let upper = text.trim().to_ascii_uppercase();
        let valid =
            upper.len() == CODE_LENGTH && upper.bytes().all(|byte| CODE_ALPHABET.contains(&byte));
        valid.then_some(Self(upper)).ok_or(InvalidRoomCode)
    }

    /// A random code.
    pub fn generate() -> Self {
        let code = (0..CODE_LENGTH)
            .map(|_| CODE_ALPHABET[(OsRng.next_u32() as usize) % CODE_ALPHABET.len()] as char)
            .collect();
        Self(code)
    }

    /// The code, uppercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// A room's name: 1 to 80 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomName(String);

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a room name has 1 to 80 characters and no control characters")]
pub struct InvalidRoomName;

impl RoomName {
    /// Parses a name.
    pub fn parse(text: &str) -> Result<Self, InvalidRoomName> {
        let text = text.trim();
        let valid = (1..=80).contains(&text.chars().count()) && !text.chars().any(char::is_control);
        valid.then(|| Self(text.to_owned())).ok_or(InvalidRoomName)
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A party room.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    /// Row id.
    pub id: RoomId,
    /// Join code.
    pub code: RoomCode,
    /// Optional name.
    pub name: Option<RoomName>,
    /// The host's account.
    pub host: UserId,
    /// How many likes make a track ready.
    pub like_threshold: LikeThreshold,
    /// Guest rules.
    pub options: RoomOptions,
    /// When the host closed it.
    pub closed_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
}

impl Room {
    /// Whether people may still join and vote.
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_unambiguous_characters_read_in_any_case() {
        let cases = [
            ("K7XQ2M", true),
            ("k7xq2m", true),
            (" k7xq2m ", true),
            ("K7XQ2", false),
            ("K7XQ2MM", false),
            ("K7XQ2O", false),
            ("K7XQ21", false),
            ("K7XQ2I", false),
        ];
        for (text, valid) in cases {
            assert_eq!(RoomCode::parse(text).is_ok(), valid, "{text}");
        }
        for _ in 0..200 {
            let code = RoomCode::generate();
            assert_eq!(RoomCode::parse(code.as_str()).as_ref(), Ok(&code));
        }
    }
}
