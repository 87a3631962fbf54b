//! What downloads need from the outside world.

use async_trait::async_trait;
use chrono::TimeDelta;
use soiree_kernel::{Timestamp, UserId};

use super::model::{Chunk, Download, DownloadEnd, DriveFile, FetchFailure, Recorded};
use crate::model::{Liked, SyncKey};

/// What is to be downloaded, and how far each download got.
#[async_trait]
pub trait DownloadQueue: Send + Sync + std::fmt::Debug {
    /// Adds a download, named `stem`, for each of `likes` that has a download address; how many
    /// it added. MUST add each (person, service, track) once, whatever the number of processes
    /// adding at once.
    async fn want(
        &self,
        key: &SyncKey,
        likes: &[(Liked, String)],
        at: Timestamp,
    ) -> anyhow::Result<u64>;

    /// Up to `limit` pending downloads due at `now` that no live lease holds, each now held by
    /// `holder` until `now + lease`. MUST hand each to one holder at a time, whatever the number
    /// of processes claiming at once, and give one whose lease expired to the next claimer.
    async fn claim(
        &self,
        now: Timestamp,
        holder: &str,
        lease: TimeDelta,
        limit: u32,
    ) -> anyhow::Result<Vec<Download>>;

    /// Records the bytes written so far (and the size, once known), holding the lease until
    /// `lease_until`, unless `holder` lost it or the download was dropped ([`Recorded::Lost`]:
    /// its file must go), or the person's stored bytes would pass `limit`
    /// ([`Recorded::OverQuota`]). MUST decide the quota one recording at a time per person,
    /// with their uploads, their finished downloads' bytes and what their other pending
    /// downloads [hold](Download::held), whatever the number of processes (the quota holds
    /// under parallel writes, and of two downloads that cannot both fit, the one that said its
    /// size first goes on). A refused download MUST hold nothing from then on.
    async fn progress(
        &self,
        download: &Download,
        holder: &str,
        lease_until: Timestamp,
        limit: Option<u64>,
    ) -> anyhow::Result<Recorded>;

    /// Ends a try and gives the lease up. A failed or refused download keeps no bytes.
    async fn finish(
        &self,
        download: &Download,
        holder: &str,
        end: &DownloadEnd,
        at: Timestamp,
    ) -> anyhow::Result<()>;

    /// Drops `key`'s downloads of `uris` (unliked); what they were, so that their files go.
    async fn drop_uris(&self, key: &SyncKey, uris: &[String]) -> anyhow::Result<Vec<DriveFile>>;

    /// `user`'s downloads, every state.
    async fn files_of(&self, user: UserId) -> anyhow::Result<Vec<DriveFile>>;

    /// Makes `user`'s downloads that did not fit in their quota due again at `at` (they made
    /// room); how many.
    async fn retry_no_room(&self, user: UserId, at: Timestamp) -> anyhow::Result<u64>;
}

/// The service's bytes.
#[async_trait]
pub trait FileSource: Send + Sync + std::fmt::Debug {
    /// Up to `most` bytes of the file at `url` from byte `from`, with `key`'s token: one
    /// request. MUST send the token only to the service's own API.
    async fn chunk(
        &self,
        key: &SyncKey,
        url: &str,
        from: u64,
        most: u64,
    ) -> Result<Chunk, FetchFailure>;
}

/// People's drive folders.
#[async_trait]
pub trait DriveFiles: Send + Sync + std::fmt::Debug {
    /// Writes `bytes` at `offset` of `user`'s file `part`, cutting whatever lay beyond
    /// `offset` first (bytes written but never recorded are written again).
    async fn write(
        &self,
        user: UserId,
        part: &str,
        offset: u64,
        bytes: &[u8],
    ) -> anyhow::Result<()>;

    /// Makes `part` whole as `stem` plus the extension its content calls for; the file's name.
    async fn complete(&self, user: UserId, part: &str, stem: &str) -> anyhow::Result<String>;

    /// Removes `user`'s file `name` (gone already is fine).
    async fn remove(&self, user: UserId, name: &str) -> anyhow::Result<()>;
}

/// The storage quota.
#[async_trait]
pub trait StorageRoom: Send + Sync + std::fmt::Debug {
    /// How many more bytes `user` may store (`None`: no limit). What downloads hold so far is
    /// counted as used.
    async fn room_left(&self, user: UserId) -> anyhow::Result<Option<u64>>;

    /// How many bytes `user` may store in all (`None`: no limit).
    async fn allowed(&self, user: UserId) -> anyhow::Result<Option<u64>>;
}
