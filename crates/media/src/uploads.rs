//! People's uploads on disk, as the library's [`UploadSpace`] port: each upload is written to
//! a temporary file in the space (`tempfile`, removed when dropped unless kept), read as audio
//! by its content (lofty), then moved to its path with one rename, so that a refused or broken
//! upload leaves no file and a kept one is never seen half written.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use async_trait::async_trait;
use soiree_library::{MusicFolder, PendingUpload, ReadFile, Unreadable, UploadSpace};
use tokio::io::AsyncWriteExt as _;

use crate::{FolderOnDisk, blocking, read_file_titled};

/// Where pending files are written, inside the space (a rename never crosses file systems).
const PENDING: &str = ".pending";

/// The uploads' space: a folder (created if missing), one folder per person below it.
#[derive(Debug, Clone)]
pub struct UploadsOnDisk {
    files: FolderOnDisk,
}

impl UploadsOnDisk {
    /// The space at `root`, created with its pending folder when missing; pending files left
    /// by a crash are removed.
    pub fn open(root: impl AsRef<Path>) -> anyhow::Result<Self> {
        let root = root.as_ref();
        let pending = root.join(PENDING);
        if pending.exists() {
            std::fs::remove_dir_all(&pending)
                .with_context(|| format!("clearing {}", pending.display()))?;
        }
        std::fs::create_dir_all(&pending)
            .with_context(|| format!("creating the uploads folder {}", pending.display()))?;
        Ok(Self {
            files: FolderOnDisk::new(root)?,
        })
    }

    /// Where `path` is kept, if it stays inside the space.
    fn target(&self, path: &str) -> Option<PathBuf> {
        let relative = Path::new(path);
        let inside = relative
            .components()
            .all(|part| matches!(part, std::path::Component::Normal(_)));
        inside.then(|| self.files.root().join(relative))
    }
}

struct PendingOnDisk {
    temporary: tempfile::TempPath,
    file: tokio::fs::File,
    space: UploadsOnDisk,
}

#[async_trait]
impl PendingUpload for PendingOnDisk {
    async fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.file
            .write_all(bytes)
            .await
            .context("writing an upload")
    }

    async fn read(&mut self, name: &str) -> Result<ReadFile, Unreadable> {
        self.file
            .flush()
            .await
            .map_err(|error| Unreadable(format!("the upload cannot be written: {error}")))?;
        let path = self.temporary.to_path_buf();
        let name = name.to_owned();
        blocking(move || read_file_titled(&path, &name))
            .await
            .map_err(|error| Unreadable(format!("{error:#}")))?
    }

    async fn keep(mut self: Box<Self>, path: &str) -> anyhow::Result<()> {
        self.file.sync_all().await.context("saving an upload")?;
        let target = self
            .space
            .target(path)
            .with_context(|| format!("{path:?} leaves the uploads folder"))?;
        if let Some(folder) = target.parent() {
            tokio::fs::create_dir_all(folder)
                .await
                .context("creating a person's uploads folder")?;
        }
        let PendingOnDisk { temporary, .. } = *self;
        temporary
            .persist(&target)
            .map_err(|error| error.error)
            .context("keeping an upload")
    }
}

#[async_trait]
impl UploadSpace for UploadsOnDisk {
    async fn start(&self) -> anyhow::Result<Box<dyn PendingUpload>> {
        let pending = self.files.root().join(PENDING);
        let (file, temporary) = blocking(move || tempfile::NamedTempFile::new_in(pending))
            .await?
            .context("starting an upload")?
            .into_parts();
        Ok(Box::new(PendingOnDisk {
            temporary,
            file: tokio::fs::File::from_std(file),
            space: self.clone(),
        }))
    }

    async fn remove(&self, path: &str) -> anyhow::Result<()> {
        let Some(target) = self.target(path) else {
            return Ok(());
        };
        match tokio::fs::remove_file(&target).await {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error).context("removing an upload"),
        }
    }
}

impl UploadsOnDisk {
    /// The kept files, read like a music folder (tags, covers, where to stream from).
    pub fn reader(&self) -> std::sync::Arc<dyn MusicFolder> {
        std::sync::Arc::new(self.files.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Tagged, flac_bytes, write_tagged};

    #[tokio::test]
    async fn a_kept_upload_is_read_by_content_and_a_dropped_one_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let space = UploadsOnDisk::open(root.path()).unwrap();
        // A tagged FLAC file, made on the spot.
        let source = tempfile::tempdir().unwrap();
        let made = source.path().join("made.flac");
        write_tagged(
            &made,
            &flac_bytes(),
            &Tagged {
                title: "Halo",
                artist: "Beyoncé",
                ..Tagged::default()
            },
        )
        .unwrap();
        let bytes = std::fs::read(&made).unwrap();
        let mut pending = space.start().await.unwrap();
        pending.write(&bytes).await.unwrap();
        let read = pending.read("ignored").await.unwrap();
        assert_eq!(
            (read.content_type.as_str(), read.tags.title.as_str()),
            ("audio/flac", "Halo")
        );
        pending.keep("ada/abc.flac").await.unwrap();
        assert_eq!(
            std::fs::read(root.path().join("ada/abc.flac")).unwrap(),
            bytes
        );

        let mut refused = space.start().await.unwrap();
        refused.write(b"<html>no</html>").await.unwrap();
        assert!(refused.read("page").await.is_err());
        drop(refused);
        let pending_left = std::fs::read_dir(root.path().join(PENDING))
            .unwrap()
            .count();
        assert_eq!(pending_left, 0, "a dropped upload leaves no file");

        assert!(
            space
                .start()
                .await
                .unwrap()
                .keep("../outside.flac")
                .await
                .is_err()
        );
        space.remove("ada/abc.flac").await.unwrap();
        space.remove("ada/abc.flac").await.unwrap();
        assert!(!root.path().join("ada/abc.flac").exists());
    }
}
