//! The folder scan: incremental (a file is read again only when its size or modification time
//! changed), reporting every file it could not read and going on.

use std::collections::HashMap;

use crate::model::{MediaFile, Track, TrackId, TrackSource};
use crate::ports::Indexed;
use crate::service::LibraryService;

/// How far a scan is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanProgress {
    /// Files looked at.
    pub done: usize,
    /// Files in the folder.
    pub total: usize,
}

/// A file the scan could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The path inside the folder.
    pub path: String,
    /// Why, in words.
    pub reason: String,
}

/// What a scan did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanReport {
    /// Audio files in the folder.
    pub files: usize,
    /// New tracks.
    pub added: usize,
    /// Tracks read again (their file changed).
    pub updated: usize,
    /// Tracks whose file had not changed (not read).
    pub unchanged: usize,
    /// Tracks whose file is gone.
    pub removed: u64,
    /// Files that could not be read.
    pub skipped: Vec<Skipped>,
}

/// Tracks are stored in groups of this many.
const BATCH: usize = 200;

impl LibraryService {
    /// Scans the music folder, reading only new and changed files; `progress` is told after
    /// every file. Files that cannot be read are reported with the reason and skipped.
    pub async fn scan(
        &self,
        progress: &(dyn Fn(ScanProgress) + Send + Sync),
    ) -> anyhow::Result<ScanReport> {
        let _one_at_a_time = self.scanning.lock().await;
        let files = self.folder.files().await?;
        let mut known: HashMap<String, Indexed> = self
            .tracks
            .folder_index()
            .await?
            .into_iter()
            .map(|indexed| (indexed.file.path.clone(), indexed))
            .collect();
        let mut report = ScanReport {
            files: files.len(),
            ..ScanReport::default()
        };
        let mut batch = Vec::with_capacity(BATCH);
        for (done, file) in files.iter().enumerate() {
            let previous = known.remove(&file.path);
            match &previous {
                Some(indexed) if indexed.file == *file => report.unchanged += 1,
                _ => match self.folder.read(&file.path).await {
                    Ok(read) => {
                        if previous.is_some() {
                            report.updated += 1;
                        } else {
                            report.added += 1;
                        }
                        batch.push(Track {
                            id: previous.map_or_else(TrackId::generate, |indexed| indexed.id),
                            source: TrackSource::Folder {
                                path: file.path.clone(),
                            },
                            tags: read.tags,
                            media: Some(MediaFile {
                                content_type: read.content_type,
                                size: file.size,
                                modified_at: file.modified_at,
                            }),
                            added_at: self.clock.now(),
                        });
                    }
                    Err(unreadable) => {
                        tracing::warn!(path = %file.path, reason = %unreadable, "a file of the music folder cannot be read; skipped");
                        report.skipped.push(crate::scan::Skipped {
                            path: file.path.clone(),
                            reason: unreadable.0,
                        });
                    }
                },
            }
            if batch.len() >= BATCH {
                self.tracks.save(&batch).await?;
                batch.clear();
            }
            progress(ScanProgress {
                done: done + 1,
                total: files.len(),
            });
        }
        self.tracks.save(&batch).await?;
        let gone: Vec<TrackId> = known.into_values().map(|indexed| indexed.id).collect();
        report.removed = self.tracks.remove(&gone).await?;
        tracing::info!(
            files = report.files,
            added = report.added,
            updated = report.updated,
            unchanged = report.unchanged,
            removed = report.removed,
            skipped = report.skipped.len(),
            "music folder scanned"
        );
        Ok(report)
    }
}
