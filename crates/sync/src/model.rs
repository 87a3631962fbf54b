//! The sync's values: whose likes, what a page holds, where a run stands, how it ended.

use std::time::Duration;

use soiree_kernel::{Timestamp, UserId};
use uuid::Uuid;

/// One person's likes on one service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SyncKey {
    /// The person.
    pub user: UserId,
    /// The service (`spotify`, `soundcloud`).
    pub service: String,
}

impl SyncKey {
    /// `user`'s likes on `service`.
    pub fn new(user: UserId, service: &str) -> Self {
        Self {
            user,
            service: service.to_owned(),
        }
    }
}

/// A liked track, as the service describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liked {
    /// The service's address of it.
    pub uri: String,
    /// Its title.
    pub title: String,
    /// Its artists.
    pub artists: Vec<String>,
    /// Its album, if the service has albums.
    pub album: Option<String>,
    /// Its length.
    pub duration_ms: u64,
    /// When it was liked, when the service says.
    pub liked_at: Option<Timestamp>,
    /// Where people open it on the service's site.
    pub link: Option<String>,
    /// Where its file can be downloaded with the person's token (a SoundCloud track its artist
    /// made downloadable); `None` for the others.
    pub download_url: Option<String>,
}

/// One page of likes, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LikesPage {
    /// The likes of the page.
    pub tracks: Vec<Liked>,
    /// Where the next page starts (`None`: the last page).
    pub next: Option<String>,
}

/// Why a page could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageFailure {
    /// The service asked to wait (its `Retry-After`).
    #[error("rate limited for {retry_after:?}")]
    RateLimited {
        /// How long.
        retry_after: Duration,
    },
    /// The connection must be made again by its owner (revoked, lost refresh token).
    #[error("the connection needs reconnecting: {0}")]
    NeedsReconnect(String),
    /// The person is not connected to the service any more.
    #[error("not connected")]
    NotConnected,
    /// The service failed or could not be reached.
    #[error("the service is unavailable: {0}")]
    Unavailable(String),
}

/// The newest like a run saw: the next incremental run stops there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// Its address.
    pub uri: String,
    /// When it was liked, if the service says.
    pub liked_at: Option<Timestamp>,
}

impl Marker {
    /// The marker of a like.
    pub fn of(liked: &Liked) -> Self {
        Self {
            uri: liked.uri.clone(),
            liked_at: liked.liked_at,
        }
    }
}

/// How much a run reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Newest first, up to the last run's newest like.
    Incremental,
    /// Every page: new likes are added and likes no longer there are removed.
    Full,
}

impl SyncMode {
    /// Its name in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incremental => "incremental",
            Self::Full => "full",
        }
    }

    /// The mode named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "incremental" => Some(Self::Incremental),
            "full" => Some(Self::Full),
            _ => None,
        }
    }
}

/// A run's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RunId(Uuid);

impl RunId {
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

/// Where a run stands (kept page by page, so that a paused run resumes where it stopped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunProgress {
    /// Its id.
    pub id: RunId,
    /// How much it reads.
    pub mode: SyncMode,
    /// When it began.
    pub started_at: Timestamp,
    /// The next page to read (`None`: the first).
    pub cursor: Option<String>,
    /// Pages read so far.
    pub pages: u32,
    /// Requests made so far (a page asked again after a rate limit counts twice).
    pub requests: u32,
    /// New likes so far.
    pub added: u32,
    /// Rate-limit pauses so far.
    pub rate_limit_waits: u32,
    /// The newest like of this run (the next run's stop).
    pub newest: Option<Marker>,
    /// Paused by a rate limit until then.
    pub waiting_until: Option<Timestamp>,
}

impl RunProgress {
    /// A run starting now.
    pub fn start(mode: SyncMode, at: Timestamp) -> Self {
        Self {
            id: RunId::generate(),
            mode,
            started_at: at,
            cursor: None,
            pages: 0,
            requests: 0,
            added: 0,
            rate_limit_waits: 0,
            newest: None,
            waiting_until: None,
        }
    }
}

/// Where one person's sync on one service stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    /// Whose likes.
    pub key: SyncKey,
    /// When it is due next.
    pub next_run_at: Timestamp,
    /// The newest like the last finished run saw.
    pub newest: Option<Marker>,
    /// When the last full read finished.
    pub last_full_at: Option<Timestamp>,
    /// Whether the next run must read everything (asked for by its owner).
    pub full_requested: bool,
    /// The run under way, if any.
    pub run: Option<RunProgress>,
    /// Why the sync stopped for this person (the connection needs reconnecting), if it did.
    pub stopped: Option<String>,
}

impl SyncState {
    /// A person's first state: due at `next_run_at`, nothing seen yet.
    pub fn new(key: SyncKey, next_run_at: Timestamp) -> Self {
        Self {
            key,
            next_run_at,
            newest: None,
            last_full_at: None,
            full_requested: false,
            run: None,
            stopped: None,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It read what it had to.
    Finished,
    /// The connection needs reconnecting (or is gone): the sync stops for this person.
    Stopped(String),
    /// The service failed; the next run tries again.
    Failed(String),
}

impl Outcome {
    /// Its name in storage and the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Finished => "finished",
            Self::Stopped(_) => "stopped",
            Self::Failed(_) => "failed",
        }
    }

    /// What went wrong, if anything.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Finished => None,
            Self::Stopped(reason) | Self::Failed(reason) => Some(reason),
        }
    }
}

/// A finished run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    /// Whose likes.
    pub key: SyncKey,
    /// Its id.
    pub id: RunId,
    /// How much it read.
    pub mode: SyncMode,
    /// When it began.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
    /// Pages read.
    pub pages: u32,
    /// Requests made.
    pub requests: u32,
    /// New likes.
    pub added: u32,
    /// Likes no longer there (full reads only).
    pub removed: u32,
    /// Rate-limit pauses.
    pub rate_limit_waits: u32,
    /// How it ended.
    pub outcome: Outcome,
}

/// A person's sync on one service, as they see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// The state.
    pub state: SyncState,
    /// How many likes are kept.
    pub likes: u64,
    /// The last runs, newest first.
    pub runs: Vec<RunResult>,
}

/// One person's sync over a period, for the operator's analytics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSync {
    /// The person.
    pub user: UserId,
    /// Runs ended.
    pub runs: u64,
    /// Likes added.
    pub added: u64,
    /// Likes removed.
    pub removed: u64,
    /// Rate-limit pauses.
    pub rate_limit_waits: u64,
    /// Runs that failed or stopped.
    pub failures: u64,
}

/// When a person's full reads come (their settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FullRead {
    /// The server's period ([`crate::SyncConfig::full_every`], a week).
    #[default]
    Default,
    /// Every so many days.
    EveryDays(u32),
    /// Only when they ask (and at the first sync).
    WhenAsked,
}

/// How a person wants their likes synced (their settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncPreferences {
    /// How often, in minutes; `None`: the server's interval. Never more often than the server's.
    pub every_minutes: Option<u32>,
    /// When full reads come.
    pub full_read: FullRead,
}
