//! What insights and recommendations are made of.

use soiree_kernel::Timestamp;

/// A track as a person met it: its address on a service and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    /// The service's address (`spotify:track:…`, `soundcloud:tracks:…`).
    pub uri: String,
    /// Its title.
    pub title: String,
    /// Its artists, main first.
    pub artists: Vec<String>,
}

/// What a person did with a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalKind {
    /// They like it on a service (kept by the sync).
    Liked,
    /// It played in a room they hosted or joined.
    PlayedInRoom,
    /// They voted it up in a room.
    VotedUp,
    /// They voted it down in a room.
    VotedDown,
}

/// One thing a person did with a track, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// What they did.
    pub kind: SignalKind,
    /// The track.
    pub track: Heard,
    /// When.
    pub at: Timestamp,
}

/// How often a track or an artist came up, by kind of signal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Likes.
    pub liked: u32,
    /// Plays in rooms.
    pub played: u32,
    /// Votes up.
    pub voted_up: u32,
    /// Votes down.
    pub voted_down: u32,
}

impl Counts {
    /// Adds one signal.
    pub fn add(&mut self, kind: SignalKind) {
        let counter = match kind {
            SignalKind::Liked => &mut self.liked,
            SignalKind::PlayedInRoom => &mut self.played,
            SignalKind::VotedUp => &mut self.voted_up,
            SignalKind::VotedDown => &mut self.voted_down,
        };
        *counter = counter.saturating_add(1);
    }

    /// What ranks a track or an artist: likes, plays and votes up (a vote down does not raise
    /// it).
    pub fn score(&self) -> u32 {
        self.liked
            .saturating_add(self.played)
            .saturating_add(self.voted_up)
    }
}

/// An artist among a person's top ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopArtist {
    /// Their name.
    pub name: String,
    /// What ranked them.
    pub counts: Counts,
}

/// A track among a person's top ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopTrack {
    /// The track.
    pub track: Heard,
    /// What ranked it.
    pub counts: Counts,
}

/// A week of a person's listening and voting (weeks start on Monday, 00:00 UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// Its first instant.
    pub starts: Timestamp,
    /// What happened in it.
    pub counts: Counts,
}

/// How a person was in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomRole {
    /// They hosted it.
    Host,
    /// They joined it.
    Guest,
}

/// A room a person was in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomVisit {
    /// Its code.
    pub code: String,
    /// Its name, if it had one.
    pub name: Option<String>,
    /// How they were in it.
    pub role: RoomRole,
    /// When they joined it (or opened it).
    pub at: Timestamp,
    /// Whether it is closed.
    pub closed: bool,
}

/// The rooms a person hosted and joined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomsSummary {
    /// How many they hosted.
    pub hosted: u64,
    /// How many rooms of others they joined.
    pub joined: u64,
    /// The latest ones, newest first.
    pub recent: Vec<RoomVisit>,
}

/// A person's insights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insights {
    /// Everything counted, all time.
    pub totals: Counts,
    /// Their top artists, all time, highest first.
    pub top_artists: Vec<TopArtist>,
    /// Their top tracks, all time, highest first.
    pub top_tracks: Vec<TopTrack>,
    /// The last weeks, oldest first, the current one last (weeks with nothing included).
    pub weeks: Vec<Week>,
    /// Their rooms.
    pub rooms: RoomsSummary,
}

/// Another person's taste, as recommendations see it: the addresses of the tracks they like or
/// voted up, each once, with nothing that says who they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Taste {
    /// Their tracks' addresses.
    pub uris: Vec<String>,
}

/// A track chosen for a person before it is described: its address, how many people whose taste
/// overlaps theirs like it, and the person's track most of them share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The track's address.
    pub uri: String,
    /// How many people like it.
    pub people: u32,
    /// The person's track most of them like too.
    pub because: Heard,
}

/// A track recommended to a person, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// The track.
    pub track: Heard,
    /// How many people whose taste overlaps the person's like it.
    pub people: u32,
    /// The person's track most of those people also like.
    pub because: Heard,
}

impl Recommendation {
    /// The reason, in words: "liked by 3 people who also like Song".
    pub fn reason(&self) -> String {
        if self.people == 1 {
            format!("liked by 1 person who also likes {}", self.because.title)
        } else {
            format!(
                "liked by {} people who also like {}",
                self.people, self.because.title
            )
        }
    }
}
