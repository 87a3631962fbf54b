//! People's uploads: audio files sent to the server, kept in their own space, counted against
//! their tier's storage quota, and seen by them alone.
//!
//! An upload is written as it arrives (never held whole in memory) to a pending file that
//! disappears unless kept, hashed on the way; refused before a byte is read when the declared
//! size cannot fit, and stopped as soon as it passes the size cap or what is left of the quota.
//! Its content decides what it is (not its name): what cannot be read as audio is refused. The
//! same content uploaded twice by a person is kept once. The quota is decided again when the
//! track is stored, in one step per owner ([`TrackRepository::save_upload`]), so uploads sent
//! at once, through any number of processes, never pass it; what did not fit is removed.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::io::{AsyncRead, AsyncReadExt as _};
use sha2::Digest as _;
use soiree_kernel::{Clock, UserId};

use crate::model::{MediaFile, Track, TrackId, TrackSource};
use crate::ports::{ReadFile, TrackRepository, Unreadable};

/// Where uploaded files are written and kept.
#[async_trait]
pub trait UploadSpace: Send + Sync + std::fmt::Debug {
    /// A new pending file. It MUST be removed when dropped without being kept, so that a
    /// refused or broken upload leaves nothing behind.
    async fn start(&self) -> anyhow::Result<Box<dyn PendingUpload>>;

    /// Removes a kept file (no error when it is gone already).
    async fn remove(&self, path: &str) -> anyhow::Result<()>;
}

/// A file being uploaded.
#[async_trait]
pub trait PendingUpload: Send {
    /// Appends bytes.
    async fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()>;

    /// The file read as audio, by its content; tags without a title take `name` (the file's
    /// name on the sender's side, without its extension).
    async fn read(&mut self, name: &str) -> Result<ReadFile, Unreadable>;

    /// Keeps the file at `path` in the space (replacing a file there: the same path is the
    /// same content).
    async fn keep(self: Box<Self>, path: &str) -> anyhow::Result<()>;
}

/// How many bytes of uploads an account may keep (the app asks the tiers service).
#[async_trait]
pub trait StorageAllowance: Send + Sync + std::fmt::Debug {
    /// `None`: no limit.
    async fn storage_allowed(&self, owner: UserId) -> anyhow::Result<Option<u64>>;
}

/// What storing an upload's track gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedUpload {
    /// Stored.
    Saved,
    /// The owner has this content already: the track kept before.
    Duplicate(TrackId),
    /// It does not fit in the owner's quota any more.
    OverQuota,
}

/// An upload stored (or found stored already).
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The track.
    pub track: Track,
    /// Whether the person had uploaded this content before (nothing new was stored).
    pub duplicate: bool,
}

/// A person's uploads and how much of their quota they use.
#[derive(Debug, Clone)]
pub struct UploadUsage {
    /// Their uploads, newest first.
    pub tracks: Vec<Track>,
    /// Bytes used.
    pub used_bytes: u64,
    /// Bytes allowed (`None`: no limit).
    pub limit_bytes: Option<u64>,
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Bigger than one upload may be.
    #[error("a file may have at most {max_bytes} bytes")]
    TooLarge {
        /// The cap.
        max_bytes: u64,
    },
    /// It does not fit in what is left of the quota.
    #[error(
        "this file does not fit in your storage quota ({limit_bytes} bytes, {used_bytes} used); delete uploads you no longer need, or ask for a bigger tier"
    )]
    QuotaExceeded {
        /// The quota.
        limit_bytes: u64,
        /// What was used before this file.
        used_bytes: u64,
    },
    /// Its content is not audio the library plays.
    #[error(
        "this file is not audio the library plays ({0}); send MP3, FLAC, Ogg, Opus, M4A, AAC or WAV"
    )]
    NotAudio(String),
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Why an upload could not be deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteUploadError {
    /// No such upload among the caller's.
    #[error("no such upload among yours; list them with GET /api/v1/library/uploads")]
    NotFound,
    /// A failure of storage.
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// The file name ending of a media type.
fn extension(content_type: &str) -> &'static str {
    match content_type {
        "audio/mpeg" => "mp3",
        "audio/flac" => "flac",
        "audio/ogg" => "ogg",
        "audio/opus" => "opus",
        "audio/mp4" | "audio/aac" => "m4a",
        "audio/wav" => "wav",
        _ => "audio",
    }
}

/// Uploads over their ports.
#[derive(Debug)]
pub struct UploadsService {
    space: Arc<dyn UploadSpace>,
    tracks: Arc<dyn TrackRepository>,
    allowance: Arc<dyn StorageAllowance>,
    clock: Arc<dyn Clock>,
    max_file_bytes: u64,
}

impl UploadsService {
    /// Wires the service; one upload may have at most `max_file_bytes`.
    pub fn new(
        space: Arc<dyn UploadSpace>,
        tracks: Arc<dyn TrackRepository>,
        allowance: Arc<dyn StorageAllowance>,
        clock: Arc<dyn Clock>,
        max_file_bytes: u64,
    ) -> Self {
        Self {
            space,
            tracks,
            allowance,
            clock,
            max_file_bytes,
        }
    }

    /// The most one upload may have.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
    }

    /// The owner's uploads and quota (what counts against it: their uploads, and whatever the
    /// repository adds, such as the drive's downloads).
    pub async fn usage(&self, owner: UserId) -> anyhow::Result<UploadUsage> {
        let tracks = self.tracks.uploads_of(owner).await?;
        Ok(UploadUsage {
            used_bytes: self.tracks.uploaded_bytes(owner).await?,
            tracks,
            limit_bytes: self.allowance.storage_allowed(owner).await?,
        })
    }

    /// Stores one file `owner` sends, read from `content` as it arrives. `name` is the file's
    /// name on the sender's side; `declared`, its size when the sender said it (an upper bound
    /// is enough: refused before reading when it cannot fit).
    pub async fn upload(
        &self,
        owner: UserId,
        name: &str,
        declared: Option<u64>,
        content: &mut (dyn AsyncRead + Unpin + Send),
    ) -> Result<Uploaded, UploadError> {
        let limit = self.allowance.storage_allowed(owner).await?;
        let used = self.tracks.uploaded_bytes(owner).await?;
        let over_quota = || UploadError::QuotaExceeded {
            limit_bytes: limit.unwrap_or(u64::MAX),
            used_bytes: used,
        };
        let left = limit.map_or(u64::MAX, |limit| limit.saturating_sub(used));
        let cap = self.max_file_bytes.min(left);
        let refusal = |size: u64| {
            if size > self.max_file_bytes {
                UploadError::TooLarge {
                    max_bytes: self.max_file_bytes,
                }
            } else {
                over_quota()
            }
        };
        if let Some(size) = declared.filter(|size| *size > cap) {
            return Err(refusal(size));
        }
        let mut pending = self.space.start().await?;
        let mut hasher = sha2::Sha256::new();
        let mut written: u64 = 0;
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            let read = content
                .read(&mut buffer)
                .await
                .map_err(|error| anyhow::anyhow!("reading the upload: {error}"))?;
            if read == 0 {
                break;
            }
            written += read as u64;
            if written > cap {
                // The pending file goes with `pending`.
                return Err(refusal(written));
            }
            hasher.update(&buffer[..read]);
            pending.write(&buffer[..read]).await?;
        }
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        let read = pending
            .read(stem)
            .await
            .map_err(|Unreadable(reason)| UploadError::NotAudio(reason))?;
        let content_hash = hex::encode(hasher.finalize());
        if let Some(track) = self.tracks.upload_by_hash(owner, &content_hash).await? {
            return Ok(Uploaded {
                track,
                duplicate: true,
            });
        }
        let path = format!(
            "{}/{content_hash}.{}",
            owner.as_uuid(),
            extension(&read.content_type)
        );
        pending.keep(&path).await?;
        let now = self.clock.now();
        let track = Track {
            id: TrackId::generate(),
            source: TrackSource::Upload {
                owner,
                path: path.clone(),
                content_hash: content_hash.clone(),
            },
            tags: read.tags,
            media: Some(MediaFile {
                content_type: read.content_type,
                size: written,
                modified_at: now,
            }),
            added_at: now,
        };
        match self.tracks.save_upload(&track, limit).await? {
            SavedUpload::Saved => {
                tracing::info!(%owner, bytes = written, "upload stored");
                Ok(Uploaded {
                    track,
                    duplicate: false,
                })
            }
            SavedUpload::Duplicate(id) => {
                // The same content, sent at once: one track, one file (the same path).
                let track = self.tracks.track(id).await?.ok_or_else(|| {
                    anyhow::anyhow!("an upload's duplicate vanished while it was stored")
                })?;
                Ok(Uploaded {
                    track,
                    duplicate: true,
                })
            }
            SavedUpload::OverQuota => {
                // Uploads sent at once filled the quota first. The file goes, unless the same
                // content was stored meanwhile (it is that track's file too).
                if self
                    .tracks
                    .upload_by_hash(owner, &content_hash)
                    .await?
                    .is_none()
                {
                    self.space.remove(&path).await?;
                }
                Err(over_quota())
            }
        }
    }

    /// Deletes one of the owner's uploads and its file, which frees its bytes of the quota.
    pub async fn delete(&self, owner: UserId, id: TrackId) -> Result<(), DeleteUploadError> {
        let Some(track) = self.tracks.track(id).await? else {
            return Err(DeleteUploadError::NotFound);
        };
        let TrackSource::Upload {
            owner: uploader,
            path,
            ..
        } = &track.source
        else {
            return Err(DeleteUploadError::NotFound);
        };
        if *uploader != owner {
            return Err(DeleteUploadError::NotFound);
        }
        self.tracks.remove(&[id]).await?;
        self.space.remove(path).await?;
        Ok(())
    }

    /// Deletes every upload of `owner` (their account is going).
    pub async fn delete_all(&self, owner: UserId) -> anyhow::Result<u64> {
        let tracks = self.tracks.uploads_of(owner).await?;
        let ids: Vec<TrackId> = tracks.iter().map(|track| track.id).collect();
        self.tracks.remove(&ids).await?;
        for track in &tracks {
            if let TrackSource::Upload { path, .. } = &track.source {
                self.space.remove(path).await?;
            }
        }
        Ok(ids.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use soiree_kernel::SystemClock;

    use super::*;
    use crate::memory::{FixedStorageAllowance, InMemoryTracks, InMemoryUploadSpace};

    fn service(limit: Option<u64>, max_file_bytes: u64) -> (UploadsService, InMemoryUploadSpace) {
        let space = InMemoryUploadSpace::default();
        let uploads = UploadsService::new(
            Arc::new(space.clone()),
            Arc::new(InMemoryTracks::default()),
            Arc::new(FixedStorageAllowance(limit)),
            Arc::new(SystemClock),
            max_file_bytes,
        );
        (uploads, space)
    }

    fn flac(size: usize, seed: u8) -> Vec<u8> {
        let mut bytes = b"fLaC".to_vec();
        bytes.resize(size, seed);
        bytes
    }

    async fn send(
        uploads: &UploadsService,
        owner: UserId,
        bytes: &[u8],
        declared: Option<u64>,
    ) -> Result<Uploaded, UploadError> {
        let mut content = bytes;
        uploads
            .upload(owner, "Song.flac", declared, &mut content)
            .await
    }

    #[tokio::test]
    async fn an_upload_is_stored_once_per_content_counted_and_freed_by_deleting() {
        let (uploads, space) = service(Some(1_000), 10_000);
        let ada = UserId::generate();
        let first = send(&uploads, ada, &flac(400, 1), Some(400)).await.unwrap();
        assert!(!first.duplicate);
        assert_eq!(first.track.tags.title, "Song");
        assert!(first.track.source.visible_to(ada));
        assert!(!first.track.source.visible_to(UserId::generate()));
        let again = send(&uploads, ada, &flac(400, 1), None).await.unwrap();
        assert!(again.duplicate);
        assert_eq!(again.track.id, first.track.id);
        assert_eq!(space.paths().len(), 1, "the same content is kept once");
        let usage = uploads.usage(ada).await.unwrap();
        assert_eq!((usage.used_bytes, usage.limit_bytes), (400, Some(1_000)));

        uploads.delete(ada, first.track.id).await.unwrap();
        assert!(space.paths().is_empty());
        assert_eq!(uploads.usage(ada).await.unwrap().used_bytes, 0);
        assert!(matches!(
            uploads.delete(ada, first.track.id).await,
            Err(DeleteUploadError::NotFound)
        ));
    }

    #[tokio::test]
    async fn refused_uploads_leave_nothing_behind() {
        let (uploads, space) = service(Some(1_000), 600);
        let ada = UserId::generate();
        // Declared too large: refused before a byte is read.
        assert!(matches!(
            send(&uploads, ada, &flac(700, 1), Some(700)).await,
            Err(UploadError::TooLarge { max_bytes: 600 })
        ));
        // Undeclared, too large: stopped while written.
        assert!(matches!(
            send(&uploads, ada, &flac(700, 1), None).await,
            Err(UploadError::TooLarge { .. })
        ));
        // Not audio, whatever its name.
        assert!(matches!(
            send(&uploads, ada, b"<html>not audio</html>", None).await,
            Err(UploadError::NotAudio(_))
        ));
        send(&uploads, ada, &flac(500, 1), None).await.unwrap();
        // Past what is left of the quota, while written.
        assert!(matches!(
            send(&uploads, ada, &flac(550, 2), None).await,
            Err(UploadError::QuotaExceeded {
                limit_bytes: 1_000,
                used_bytes: 500
            })
        ));
        assert_eq!(space.paths().len(), 1);
        assert_eq!(space.pending(), 0, "no pending file left");
    }

    #[tokio::test]
    async fn uploads_sent_at_once_never_pass_the_quota() {
        let (uploads, space) = service(Some(1_000), 10_000);
        let ada = UserId::generate();
        let files: Vec<Vec<u8>> = (0..10).map(|n| flac(300, n)).collect();
        let sent = files.iter().map(|bytes| send(&uploads, ada, bytes, None));
        let results = futures_util::future::join_all(sent).await;
        let stored = results.iter().filter(|result| result.is_ok()).count();
        assert_eq!(stored, 3, "{results:?}");
        assert!(
            results
                .iter()
                .all(|result| matches!(result, Ok(_) | Err(UploadError::QuotaExceeded { .. })))
        );
        assert_eq!(uploads.usage(ada).await.unwrap().used_bytes, 900);
        assert_eq!(space.paths().len(), 3, "the refused ones' files are gone");
        // They really were at once: every one passed the first look at the quota.
        assert!(results.iter().any(|result| matches!(
            result,
            Err(UploadError::QuotaExceeded { used_bytes: 0, .. })
        )));
    }
}
