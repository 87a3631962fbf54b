//! The downloads' use cases: take in what is downloadable, carry pending downloads on piece by
//! piece, drop what was unliked.

use std::sync::Arc;

use chrono::TimeDelta;
use soiree_kernel::{Clock, UserId};

use super::model::{Download, DownloadEnd, DriveFile, FetchFailure, Recorded};
use super::ports::{DownloadQueue, DriveFiles, FileSource, StorageRoom};
use crate::model::{Liked, SyncKey};

/// How downloads run.
#[derive(Debug, Clone)]
pub struct DownloadConfig {
    /// The most bytes asked for in one request (8 MiB: most songs in one or two).
    pub chunk: u64,
    /// How long a claimed download is held without a word from its process.
    pub lease: TimeDelta,
    /// How many downloads one pass takes at most.
    pub per_pass: u32,
    /// How long a download waits after a failure that may pass (the service was unreachable).
    pub retry_after_failure: TimeDelta,
    /// How long it waits when the connection needs reconnecting.
    pub retry_after_reconnect: TimeDelta,
    /// The longest rate-limit wait honoured as asked.
    pub longest_wait: TimeDelta,
}

impl Default for DownloadConfig {
    fn default() -> Self {
        Self {
            chunk: 8 * 1024 * 1024,
            lease: TimeDelta::minutes(2),
            per_pass: 8,
            retry_after_failure: TimeDelta::minutes(10),
            retry_after_reconnect: TimeDelta::hours(1),
            longest_wait: TimeDelta::hours(6),
        }
    }
}

/// The file name (without extension) of a downloaded track: `{service}/{artists} - {title}
/// [{id}]`, with what a file name cannot hold replaced, and short enough for any file system.
pub fn file_stem(service: &str, liked: &Liked) -> String {
    let clean = |text: &str| -> String {
        text.chars()
            .map(|character| match character {
                '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
                character if character.is_control() => '_',
                character => character,
            })
            .collect::<String>()
            .trim()
            .trim_start_matches('.')
            .to_owned()
    };
    let id = liked.uri.rsplit(':').next().unwrap_or_default();
    let mut name: String = clean(&format!("{} - {}", liked.artists.join(", "), liked.title))
        .chars()
        .take(120)
        .collect();
    if name.trim().is_empty() || name == " - " {
        name = "track".to_owned();
    }
    format!("{}/{} [{}]", clean(service), name.trim(), clean(id))
}

/// Downloads over their ports.
#[derive(Debug)]
pub struct DownloadService {
    queue: Arc<dyn DownloadQueue>,
    source: Arc<dyn FileSource>,
    drive: Arc<dyn DriveFiles>,
    room: Arc<dyn StorageRoom>,
    clock: Arc<dyn Clock>,
    config: DownloadConfig,
    holder: String,
}

impl DownloadService {
    /// Wires the service. `holder` names this process in leases (unique per process).
    pub fn new(
        queue: Arc<dyn DownloadQueue>,
        source: Arc<dyn FileSource>,
        drive: Arc<dyn DriveFiles>,
        room: Arc<dyn StorageRoom>,
        clock: Arc<dyn Clock>,
        config: DownloadConfig,
        holder: impl Into<String>,
    ) -> Self {
        Self {
            queue,
            source,
            drive,
            room,
            clock,
            config,
            holder: holder.into(),
        }
    }

    /// Takes in new likes: each with a download address is to be downloaded; how many.
    pub async fn want(&self, key: &SyncKey, likes: &[Liked]) -> anyhow::Result<u64> {
        let wanted: Vec<(Liked, String)> = likes
            .iter()
            .filter(|liked| liked.download_url.is_some())
            .map(|liked| (liked.clone(), file_stem(&key.service, liked)))
            .collect();
        if wanted.is_empty() {
            return Ok(0);
        }
        self.queue.want(key, &wanted, self.clock.now()).await
    }

    /// Likes taken back: their downloads are dropped and their files removed.
    pub async fn forget(&self, key: &SyncKey, uris: &[String]) -> anyhow::Result<()> {
        for file in self.queue.drop_uris(key, uris).await? {
            self.drive.remove(key.user, &file.file_name).await?;
            self.drive
                .remove(key.user, &format!("{}.part", file.file_name))
                .await?;
        }
        Ok(())
    }

    /// Tries `user`'s downloads that did not fit again (they asked for a sync, perhaps after
    /// making room); how many.
    pub async fn try_again(&self, user: UserId) -> anyhow::Result<u64> {
        self.queue.retry_no_room(user, self.clock.now()).await
    }

    /// `user`'s downloads.
    pub async fn files(&self, user: UserId) -> anyhow::Result<Vec<DriveFile>> {
        self.queue.files_of(user).await
    }

    /// Carries due downloads on, each to its end or its next wait; how many it took up.
    pub async fn run_due(&self) -> anyhow::Result<usize> {
        let claimed = self
            .queue
            .claim(
                self.clock.now(),
                &self.holder,
                self.config.lease,
                self.config.per_pass,
            )
            .await?;
        let count = claimed.len();
        for download in claimed {
            let end = match self.fetch(download.clone()).await {
                Ok(Some((download, end))) => (download, end),
                Ok(None) => continue,
                Err(error) => {
                    tracing::warn!(user = %download.key.user, uri = %download.uri, error = %format!("{error:#}"), "a download failed; it is tried again later");
                    let at = self.clock.now() + self.config.retry_after_failure;
                    (download, DownloadEnd::RetryAt(at, format!("{error:#}")))
                }
            };
            let (download, end) = end;
            if matches!(end, DownloadEnd::Failed(_) | DownloadEnd::NoRoom) {
                self.drive
                    .remove(download.key.user, &download.part_name())
                    .await?;
            }
            self.queue
                .finish(&download, &self.holder, &end, self.clock.now())
                .await?;
        }
        Ok(count)
    }

    /// Fetches piece after piece until the file is whole, a failure, or the quota; `None` when
    /// the lease was lost or the download dropped (its part file removed).
    async fn fetch(
        &self,
        mut download: Download,
    ) -> anyhow::Result<Option<(Download, DownloadEnd)>> {
        let user = download.key.user;
        loop {
            let room = self.room.room_left(user).await?;
            let needed = download
                .size
                .map(|size| size.saturating_sub(download.bytes));
            if let (Some(room), Some(needed)) = (room, needed)
                && needed > room
            {
                return Ok(Some((download, DownloadEnd::NoRoom)));
            }
            let most = self.config.chunk.min(room.unwrap_or(u64::MAX));
            if most == 0 {
                return Ok(Some((download, DownloadEnd::NoRoom)));
            }
            let chunk = match self
                .source
                .chunk(&download.key, &download.url, download.bytes, most)
                .await
            {
                Ok(chunk) => chunk,
                Err(failure) => return Ok(Some((download.clone(), self.after(failure)))),
            };
            let got = u64::try_from(chunk.bytes.len()).unwrap_or(u64::MAX);
            if chunk.total.is_some() {
                download.size = chunk.total;
            }
            if got > 0 {
                self.drive
                    .write(user, &download.part_name(), download.bytes, &chunk.bytes)
                    .await?;
                download.bytes += got;
                // Counted against the quota with the person's uploads and other downloads, one
                // recording at a time: the quota holds when several write at once.
                let lease_until = self.clock.now() + self.config.lease;
                let allowed = self.room.allowed(user).await?;
                match self
                    .queue
                    .progress(&download, &self.holder, lease_until, allowed)
                    .await?
                {
                    Recorded::Counted => {}
                    Recorded::OverQuota => return Ok(Some((download, DownloadEnd::NoRoom))),
                    Recorded::Lost => {
                        self.drive.remove(user, &download.part_name()).await?;
                        return Ok(None);
                    }
                }
            }
            let whole = download.size.is_some_and(|size| download.bytes >= size)
                || (got < most && download.size.is_none());
            if whole {
                if download.bytes == 0 {
                    return Ok(Some((
                        download,
                        DownloadEnd::Failed("the service sent an empty file".to_owned()),
                    )));
                }
                let file_name = self
                    .drive
                    .complete(user, &download.part_name(), &download.stem)
                    .await?;
                return Ok(Some((download, DownloadEnd::Done { file_name })));
            }
            if got == 0 {
                // Short of its size and nothing more came: try again later from here.
                let at = self.clock.now() + self.config.retry_after_failure;
                let reason = "the service stopped sending before the end".to_owned();
                return Ok(Some((download, DownloadEnd::RetryAt(at, reason))));
            }
        }
    }

    fn after(&self, failure: FetchFailure) -> DownloadEnd {
        let now = self.clock.now();
        match failure {
            FetchFailure::RateLimited { retry_after } => {
                let wait = TimeDelta::from_std(retry_after)
                    .unwrap_or(self.config.longest_wait)
                    .min(self.config.longest_wait);
                DownloadEnd::RetryAt(now + wait, "the service asked to wait".to_owned())
            }
            FetchFailure::NeedsReconnect(reason) => {
                DownloadEnd::RetryAt(now + self.config.retry_after_reconnect, reason)
            }
            FetchFailure::Gone(reason) => DownloadEnd::Failed(reason),
            FetchFailure::Unavailable(reason) => {
                DownloadEnd::RetryAt(now + self.config.retry_after_failure, reason)
            }
        }
    }
}
