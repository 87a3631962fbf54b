//! The request and response types of the room routes, and their conversions from domain types.

use crate::api::checked::{Checked, Nickname, TrackUri};
use chrono::{DateTime, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use soiree_kernel::TrackInfo;
use soiree_rooms::{Identity, LikeThreshold, ParticipantView, Room, TrackState};
use soiree_voting::{RoomSnapshot, RoomTrack, VoteOutcome};

/// A room as its participants see it.
#[derive(Object, Debug)]
#[oai(rename = "Room")]
pub(super) struct RoomOut {
    /// The 6-character join code.
    code: String,
    #[oai(skip_serializing_if_is_none)]
    name: Option<String>,
    /// Likes needed, when the threshold is a fixed count.
    #[oai(skip_serializing_if_is_none)]
    like_threshold: Option<u32>,
    /// The share of present participants whose likes are needed, when it is a share.
    #[oai(skip_serializing_if_is_none)]
    like_threshold_share: Option<f64>,
    guests_allowed: bool,
    /// Votes guests may cast per two minutes, per client address (guests who join from one
    /// address share it).
    guest_votes_per_2min: u32,
    /// Guests the room takes at once, when the host capped them.
    #[oai(skip_serializing_if_is_none)]
    max_guests: Option<u32>,
    /// Whether the host closed the room.
    closed: bool,
    /// Whether the caller is the host.
    is_host: bool,
}

impl RoomOut {
    pub(super) fn new(room: &Room, is_host: bool) -> Self {
        let (like_threshold, like_threshold_share) = match room.like_threshold {
            LikeThreshold::Fixed(count) => (Some(count), None),
            LikeThreshold::Share(basis_points) => (None, Some(f64::from(basis_points) / 10_000.0)),
        };
        Self {
            code: room.code.as_str().to_owned(),
            name: room.name.as_ref().map(|name| name.as_str().to_owned()),
            like_threshold,
            like_threshold_share,
            guests_allowed: room.options.guests_allowed,
            guest_votes_per_2min: room.options.guest_votes_per_2min,
            max_guests: room.options.max_guests,
            closed: !room.is_open(),
            is_host,
        }
    }
}

/// Where a track stands.
#[derive(Enum, Debug, Clone, Copy)]
#[oai(rename = "TrackState", rename_all = "snake_case")]
pub(super) enum TrackStateOut {
    Candidate,
    Ready,
    Playing,
    Played,
}

impl From<TrackState> for TrackStateOut {
    fn from(state: TrackState) -> Self {
        match state {
            TrackState::Candidate => Self::Candidate,
            TrackState::Ready => Self::Ready,
            TrackState::Playing => Self::Playing,
            TrackState::Played => Self::Played,
        }
    }
}

/// What people see of a track, once its provider has described it.
#[derive(Object, Debug)]
#[oai(rename = "Track")]
pub(super) struct TrackOut {
    /// `spotify:track:...` (what votes take).
    uri: String,
    title: String,
    artists: Vec<String>,
    #[oai(skip_serializing_if_is_none)]
    album: Option<String>,
    /// An image of the album.
    #[oai(skip_serializing_if_is_none)]
    artwork_url: Option<String>,
    duration_ms: u64,
}

impl From<TrackInfo> for TrackOut {
    fn from(info: TrackInfo) -> Self {
        Self {
            uri: info.track.as_str().to_owned(),
            title: info.title,
            artists: info.artists,
            album: info.album,
            artwork_url: info.artwork_url,
            duration_ms: info.duration_ms,
        }
    }
}

/// Tracks found in the host's catalogue.
#[derive(Object, Debug)]
pub(super) struct TracksOut {
    pub(super) tracks: Vec<TrackOut>,
}

/// A track in the room's queue.
#[derive(Object, Debug)]
#[oai(rename = "QueuedTrack")]
pub(super) struct QueuedTrackOut {
    track_uri: String,
    /// Its title, artists and artwork, once its provider has described it.
    #[oai(skip_serializing_if_is_none)]
    track: Option<TrackOut>,
    state: TrackStateOut,
    likes: u32,
    dislikes: u32,
    /// Likes minus dislikes.
    net: i64,
}

impl From<RoomTrack> for QueuedTrackOut {
    fn from(entry: RoomTrack) -> Self {
        Self {
            track_uri: entry.track.as_str().to_owned(),
            track: entry.info.map(TrackOut::from),
            state: entry.state.into(),
            likes: entry.tally.likes,
            dislikes: entry.tally.dislikes,
            net: entry.tally.net(),
        }
    }
}

/// Everything a client needs to draw the room, and the event number to follow on from.
#[derive(Object, Debug)]
#[oai(rename = "RoomSnapshot")]
pub(super) struct SnapshotOut {
    room: RoomOut,
    /// Participants present now (active in the last few minutes).
    participants_present: u32,
    /// Likes a track needs now.
    likes_needed: u32,
    /// The playing track, then ready tracks in play order, then candidates by net score.
    queue: Vec<QueuedTrackOut>,
    #[oai(skip_serializing_if_is_none)]
    now_playing: Option<String>,
    /// The number of the room's last event; live events continue after it.
    last_seq: u64,
}

impl From<RoomSnapshot> for SnapshotOut {
    fn from(snapshot: RoomSnapshot) -> Self {
        let now_playing =
            soiree_voting::playing(&snapshot.queue).map(|entry| entry.track.as_str().to_owned());
        Self {
            room: RoomOut::new(snapshot.access.room(), snapshot.access.is_host()),
            participants_present: snapshot.present,
            likes_needed: snapshot.likes_needed,
            queue: snapshot
                .queue
                .into_iter()
                .map(QueuedTrackOut::from)
                .collect(),
            now_playing,
            last_seq: snapshot.last_seq,
        }
    }
}

/// A new room.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub(super) struct CreateRoomIn {
    /// 1 to 80 characters.
    #[oai(
        validator(
            max_length = 80,
            pattern = r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
        ),
        deserialize_with = "crate::api::strict::text"
    )]
    pub(super) name: Option<String>,
    /// Likes needed (a whole number from 1 to 10000); default 3.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub(super) like_threshold: Option<i64>,
    /// Or: the share of present participants whose likes are needed (above 0, at most 1).
    #[oai(validator(minimum(value = "0", exclusive), maximum(value = "1")))]
    pub(super) like_threshold_share: Option<f64>,
    /// Whether people may join with a nickname and no account (default true).
    pub(super) guests_allowed: Option<bool>,
    /// Votes guests may cast per two minutes (default 10), per client address: guests who join
    /// from one address share it. 1 to 1000.
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub(super) guest_votes_per_2min: Option<u32>,
    /// Guests the room takes at once (1 to 10000; default: only the host's people-per-room
    /// quota).
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub(super) max_guests: Option<u32>,
}

/// A room just created.
#[derive(Object, Debug)]
pub(super) struct CreatedRoomOut {
    pub(super) room: RoomOut,
    /// Whether the host's Spotify is connected; tracks play only then.
    pub(super) host_connected: bool,
    #[oai(skip_serializing_if_is_none)]
    pub(super) note: Option<String>,
}

/// Joining: signed in, nothing is needed; as a guest, a display name.
#[derive(Object, Debug, Default)]
#[oai(deny_unknown_fields)]
pub(super) struct JoinIn {
    /// A guest's nickname, 1 to 40 characters (made distinct in the room: "Ada 2").
    pub(super) display_name: Option<Checked<Nickname>>,
}

/// A participation.
#[derive(Object, Debug)]
pub(super) struct JoinedOut {
    pub(super) participant_id: String,
    pub(super) display_name: String,
    /// For guests only, shown once: send it as `Authorization: Bearer {guest_token}` on this
    /// room's routes (browsers also get it as a cookie).
    #[oai(skip_serializing_if_is_none)]
    pub(super) guest_token: Option<String>,
    pub(super) room: RoomOut,
}

/// Someone in the room.
#[derive(Object, Debug)]
#[oai(rename = "Participant")]
pub(super) struct ParticipantOut {
    id: String,
    display_name: String,
    is_host: bool,
    is_guest: bool,
    joined_at: DateTime<Utc>,
    /// Shown to the host only.
    #[oai(skip_serializing_if_is_none)]
    email: Option<String>,
}

impl From<ParticipantView> for ParticipantOut {
    fn from(view: ParticipantView) -> Self {
        Self {
            id: view.participant.id.to_string(),
            display_name: view.participant.display_name.as_str().to_owned(),
            is_host: view.is_host,
            is_guest: view.participant.identity == Identity::Guest,
            joined_at: view.participant.joined_at,
            email: view.email,
        }
    }
}

#[derive(Object, Debug)]
pub(super) struct ParticipantsOut {
    pub(super) participants: Vec<ParticipantOut>,
}

/// The host's changes; a field left out stays as it is.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub(super) struct RoomPatch {
    #[oai(
        validator(
            max_length = 80,
            pattern = r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
        ),
        deserialize_with = "crate::api::strict::text"
    )]
    pub(super) name: MaybeUndefined<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub(super) like_threshold: MaybeUndefined<i64>,
    #[oai(validator(minimum(value = "0", exclusive), maximum(value = "1")))]
    pub(super) like_threshold_share: MaybeUndefined<f64>,
    pub(super) guests_allowed: MaybeUndefined<bool>,
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub(super) guest_votes_per_2min: MaybeUndefined<u32>,
    /// A new guest cap, or `null` to lift it.
    #[oai(validator(minimum(value = "1"), maximum(value = "10000")))]
    pub(super) max_guests: MaybeUndefined<u32>,
}

/// A vote.
#[derive(Object, Debug)]
#[oai(deny_unknown_fields)]
pub(super) struct VoteIn {
    /// `spotify:track:...`, a Spotify share link (`https://open.spotify.com/track/...`), or
    /// `soundcloud:tracks:...`.
    pub(super) track_uri: Checked<TrackUri>,
    /// Like (true) or dislike (false).
    pub(super) is_like: bool,
}

/// What a vote did.
#[derive(Object, Debug)]
#[oai(rename = "VoteResult")]
pub(super) struct VoteOut {
    /// `vote_registered` or `vote_retracted`.
    status: String,
    likes: u32,
    dislikes: u32,
    /// Likes needed now.
    like_threshold: u32,
    /// True exactly when this vote made the track ready to play.
    play: bool,
    track_state: TrackStateOut,
}

impl VoteOut {
    pub(super) fn new(status: &str, outcome: VoteOutcome) -> Self {
        Self {
            status: status.to_owned(),
            likes: outcome.tally.likes,
            dislikes: outcome.tally.dislikes,
            like_threshold: outcome.like_threshold,
            play: outcome.play,
            track_state: outcome.state.into(),
        }
    }
}

#[derive(Object, Debug)]
pub(super) struct QueueOut {
    pub(super) tracks: Vec<QueuedTrackOut>,
}

#[derive(Object, Debug)]
pub(super) struct SkipOut {
    /// Skip votes on the playing track.
    pub(super) skips: u32,
    /// Skip votes needed.
    pub(super) needed: u32,
}

#[derive(Object, Debug)]
pub(super) struct SuggestionOut {
    pub(super) track_uri: String,
    pub(super) vote: VoteOut,
}
