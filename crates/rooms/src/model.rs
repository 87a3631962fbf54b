//! Rooms, participants and events, parsed once and valid from then on.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore as _};
use sha2::{Digest, Sha256};
use soiree_kernel::{Timestamp, TrackRef, UserId};
use uuid::Uuid;

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

/// How many likes make a track ready to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeThreshold {
    /// A fixed number of likes, at least 1.
    Fixed(u32),
    /// A share of the participants present, in basis points (1 to 10 000 = 0.01 % to 100 %),
    /// never below one like.
    Share(u16),
}

/// Why a threshold was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidThreshold {
    /// A fixed threshold below 1 or above 10 000.
    #[error("a like threshold is a whole number from 1 to 10000")]
    Count,
    /// A share not in (0, 1].
    #[error(
        "a like threshold share is a fraction above 0 and at most 1, such as 0.5 for half of those present"
    )]
    Share,
}

impl LikeThreshold {
    /// The threshold of a room created without one: three likes.
    pub const DEFAULT: LikeThreshold = LikeThreshold::Fixed(3);

    /// A fixed count.
    pub fn fixed(count: i64) -> Result<Self, InvalidThreshold> {
        u32::try_from(count)
            .ok()
            .filter(|count| (1..=10_000).contains(count))
            .map(Self::Fixed)
            .ok_or(InvalidThreshold::Count)
    }

    /// A share of those present, `0 < share <= 1`, kept to the basis point.
    pub fn share(share: f64) -> Result<Self, InvalidThreshold> {
        if !(share > 0.0 && share <= 1.0) {
            return Err(InvalidThreshold::Share);
        }
        let basis_points = (share * 10_000.0).round().clamp(1.0, 10_000.0) as u16;
        Ok(Self::Share(basis_points))
    }

    /// Likes needed when `present` participants are present: the fixed count, or the share of
    /// those present rounded up, and never less than one.
    pub fn required_likes(&self, present: u32) -> u32 {
        match *self {
            LikeThreshold::Fixed(count) => count.max(1),
            LikeThreshold::Share(basis_points) => {
                let needed = (u64::from(present) * u64::from(basis_points)).div_ceil(10_000);
                u32::try_from(needed).unwrap_or(u32::MAX).max(1)
            }
        }
    }
}

/// What a host may set about a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomOptions {
    /// Whether people may join with a nickname and no account.
    pub guests_allowed: bool,
    /// How many votes a guest may cast per two minutes (1 to 1000).
    pub guest_votes_per_2min: u32,
}

impl Default for RoomOptions {
    fn default() -> Self {
        Self {
            guests_allowed: true,
            guest_votes_per_2min: 10,
        }
    }
}

/// Why a guest vote rate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("guest_votes_per_2min is a whole number from 1 to 1000")]
pub struct InvalidGuestRate;

impl RoomOptions {
    /// Checks a guest vote rate (votes per two minutes, 1 to 1000).
    pub fn guest_rate(votes_per_2min: u32) -> Result<u32, InvalidGuestRate> {
        (1..=1000)
            .contains(&votes_per_2min)
            .then_some(votes_per_2min)
            .ok_or(InvalidGuestRate)
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Parses a nickname (longer account names are shortened rather than refused by callers).
    pub fn parse(text: &str) -> Result<Self, InvalidNickname> {
        let text = text.trim();
        let valid = (1..=40).contains(&text.chars().count()) && !text.chars().any(char::is_control);
        valid.then(|| Self(text.to_owned())).ok_or(InvalidNickname)
    }
    /// The nickname.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "Guest", for when nothing else is usable.
    pub(crate) fn guest() -> Self {
        Self("Guest".to_owned())
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
}

impl Participant {
    /// Whether they are in the room now.
    pub fn is_active(&self) -> bool {
        self.left_at.is_none()
    }
}

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
        Self(format!("g_{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The token, to hand to the guest once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash storage keeps, for a presented token.
    pub fn hash_of(presented: &str) -> String {
        hex::encode(Sha256::digest(presented.as_bytes()))
    }

    /// Whether a presented bearer token looks like a guest token (rather than a session token).
    pub fn looks_like(presented: &str) -> bool {
        presented.starts_with("g_")
    }
}

/// Where a track stands in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackState {
    /// Collecting votes.
    Candidate,
    /// Reached the threshold; waiting its turn.
    Ready,
    /// Sent to the host's player.
    Playing,
    /// Finished or skipped.
    Played,
}

impl TrackState {
    /// The stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackState::Candidate => "candidate",
            TrackState::Ready => "ready",
            TrackState::Playing => "playing",
            TrackState::Played => "played",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            TrackState::Candidate,
            TrackState::Ready,
            TrackState::Playing,
            TrackState::Played,
        ]
        .into_iter()
        .find(|state| state.as_str() == name)
    }
}

/// Something that happened in a room, in the order of `seq` (per room, from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct RoomEvent {
    /// Position in the room's history.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// What.
    pub kind: RoomEventKind,
}

/// The kinds of room events.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomEventKind {
    /// Someone joined.
    ParticipantJoined {
        /// Who.
        participant_id: ParticipantId,
        /// Their name.
        display_name: String,
    },
    /// Someone left or was removed.
    ParticipantLeft {
        /// Who.
        participant_id: ParticipantId,
        /// Whether the host removed them.
        kicked: bool,
    },
    /// A track's votes changed.
    VoteTallied {
        /// Which track.
        track: TrackRef,
        /// Likes now.
        likes: u32,
        /// Dislikes now.
        dislikes: u32,
        /// Likes needed now.
        like_threshold: u32,
        /// Where it stands.
        state: TrackState,
    },
    /// A track reached the threshold (once per track).
    TrackReady {
        /// Which track.
        track: TrackRef,
    },
    /// Skip votes on the playing track changed.
    SkipTallied {
        /// The playing track.
        track: TrackRef,
        /// Skip votes now.
        skips: u32,
        /// Skip votes needed.
        needed: u32,
    },
    /// A track started playing on the host's player.
    NowPlaying {
        /// Which track.
        track: TrackRef,
    },
    /// Playback could not be started or continued.
    PlaybackFailed {
        /// The track that should have played, if any.
        track: Option<TrackRef>,
        /// A stable code (`no_active_device`, `premium_required`, `needs_reconnect`, ...).
        code: String,
        /// What happened and what the host can do.
        message: String,
    },
    /// The host changed the threshold or options.
    RoomUpdated,
    /// The host closed the room.
    RoomClosed,
}

impl RoomEventKind {
    /// The stable name of the kind, as clients see it.
    pub fn name(&self) -> &'static str {
        match self {
            RoomEventKind::ParticipantJoined { .. } => "participant_joined",
            RoomEventKind::ParticipantLeft { .. } => "participant_left",
            RoomEventKind::VoteTallied { .. } => "vote_tallied",
            RoomEventKind::TrackReady { .. } => "track_ready",
            RoomEventKind::SkipTallied { .. } => "skip_tallied",
            RoomEventKind::NowPlaying { .. } => "now_playing",
            RoomEventKind::PlaybackFailed { .. } => "playback_failed",
            RoomEventKind::RoomUpdated => "room_updated",
            RoomEventKind::RoomClosed => "room_closed",
        }
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

    #[test]
    fn thresholds() {
        let cases: [(LikeThreshold, u32, u32); 9] = [
            (LikeThreshold::Fixed(3), 0, 3),
            (LikeThreshold::Fixed(3), 100, 3),
            (LikeThreshold::share(0.5).unwrap(), 0, 1),
            (LikeThreshold::share(0.5).unwrap(), 1, 1),
            (LikeThreshold::share(0.5).unwrap(), 4, 2),
            (LikeThreshold::share(0.5).unwrap(), 5, 3),
            (LikeThreshold::share(1.0).unwrap(), 7, 7),
            (LikeThreshold::share(0.01).unwrap(), 7, 1),
            (LikeThreshold::share(0.34).unwrap(), 3, 2),
        ];
        for (threshold, present, needed) in cases {
            assert_eq!(
                threshold.required_likes(present),
                needed,
                "{threshold:?} with {present} present"
            );
        }
        assert!(LikeThreshold::fixed(0).is_err() && LikeThreshold::fixed(-1).is_err());
        assert!(
            LikeThreshold::share(0.0).is_err()
                && LikeThreshold::share(1.5).is_err()
                && LikeThreshold::share(f64::NAN).is_err()
        );
    }

    #[test]
    fn guest_tokens_are_distinct_and_only_hashed() {
        let first = GuestToken::generate();
        let second = GuestToken::generate();
        assert_ne!(first.expose(), second.expose());
        assert!(GuestToken::looks_like(first.expose()));
        assert_eq!(GuestToken::hash_of(first.expose()).len(), 64);
        assert!(!format!("{first:?}").contains(first.expose()));
    }
}
