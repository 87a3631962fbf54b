//! What downloads are made of.

use std::time::Duration;

use soiree_kernel::Timestamp;

use crate::model::SyncKey;

/// Where a download stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadState {
    /// Not started, or started and waiting for its next try (its bytes kept).
    Pending,
    /// The file is whole in the drive.
    Done,
    /// The service refused it for good (no longer downloadable, gone).
    Failed,
    /// It does not fit in what is left of the person's storage quota.
    NoRoom,
}

impl DownloadState {
    /// Its name in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::NoRoom => "no_room",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Pending, Self::Done, Self::Failed, Self::NoRoom]
            .into_iter()
            .find(|state| state.as_str() == name)
    }
}

/// A download claimed to be carried on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// Whose, on which service.
    pub key: SyncKey,
    /// The track's address.
    pub uri: String,
    /// Where its bytes are asked for (with the person's token).
    pub url: String,
    /// The file's name in the drive without its extension (`soundcloud/Artist - Title [id]`).
    pub stem: String,
    /// The bytes written so far (and counted in the quota).
    pub bytes: u64,
    /// The file's whole size, once the service said.
    pub size: Option<u64>,
}

impl Download {
    /// Where its bytes are written until it is whole.
    pub fn part_name(&self) -> String {
        format!("{}.part", self.stem)
    }

    /// What it holds of the person's storage quota while it goes on: its whole size once the
    /// service said it (the room is kept for the rest, so two downloads started at once cannot
    /// both be cut short), else the bytes written so far.
    pub fn held(&self) -> u64 {
        self.size.map_or(self.bytes, |size| size.max(self.bytes))
    }
}

/// A file of a person's drive, as their status shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveFile {
    /// The service.
    pub service: String,
    /// The track's address.
    pub uri: String,
    /// Its name in the drive (with its extension once done).
    pub file_name: String,
    /// Bytes written.
    pub bytes: u64,
    /// Its whole size, once known.
    pub size: Option<u64>,
    /// Where it stands.
    pub state: DownloadState,
    /// Why it failed or waits.
    pub failure: Option<String>,
}

/// A piece of a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chunk {
    /// Its bytes (fewer than asked for, or none, at the end of the file).
    pub bytes: Vec<u8>,
    /// The whole file's size, when the service says.
    pub total: Option<u64>,
}

/// Why a piece could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// The service asks to wait.
    RateLimited {
        /// How long.
        retry_after: Duration,
    },
    /// The connection needs reconnecting.
    NeedsReconnect(String),
    /// The file is not to be had any more (not downloadable, removed).
    Gone(String),
    /// Anything else; tried again later from the same byte.
    Unavailable(String),
}

/// What became of a piece's bytes when they were to be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Counted, and the lease renewed.
    Counted,
    /// The holder lost the lease, or the download was dropped.
    Lost,
    /// They would take the person past their quota (nothing was counted).
    OverQuota,
}

/// How a download's try ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadEnd {
    /// Whole, under this name.
    Done {
        /// Its name in the drive.
        file_name: String,
    },
    /// Refused for good (its part file removed).
    Failed(String),
    /// Too big for what is left of the quota (its part file removed).
    NoRoom,
    /// Tried again at this time, from the bytes kept.
    RetryAt(Timestamp, String),
}
