//! The operator's music folder on disk, as the library's [`MusicFolder`] port: the audio files
//! under it (walkdir), their tags, length and cover (lofty), the format found from the content
//! rather than the name, and the path to stream each from, never outside the folder.
//!
//! Reading is blocking file work: it runs on tokio's blocking pool.

use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;
use async_trait::async_trait;
use lofty::file::{AudioFile as _, FileType, TaggedFileExt as _};
use lofty::probe::Probe;
use lofty::tag::{Accessor as _, ItemKey, Tag};
use soiree_library::{FileEntry, MusicFolder, ReadFile, TrackTags, Unreadable};

#[cfg(feature = "testing")]
pub mod testing;
mod uploads;

pub use uploads::UploadsOnDisk;

/// The file names the library looks at: the formats it plays. What a file holds is decided by its
/// content when it is read.
const AUDIO_EXTENSIONS: [&str; 9] = [
    "mp3", "flac", "ogg", "oga", "opus", "m4a", "mp4", "aac", "wav",
];

/// A music folder on disk.
#[derive(Debug, Clone)]
pub struct FolderOnDisk {
    root: PathBuf,
}

impl FolderOnDisk {
    /// The folder at `root` (which must exist).
    pub fn new(root: impl Into<PathBuf>) -> anyhow::Result<Self> {
        let root = root.into();
        let root = root
            .canonicalize()
            .with_context(|| format!("the music folder {} cannot be opened", root.display()))?;
        anyhow::ensure!(
            root.is_dir(),
            "the music folder {} is not a folder",
            root.display()
        );
        Ok(Self { root })
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// The media type of a format lofty recognised.
fn content_type(file_type: FileType) -> Option<&'static str> {
    Some(match file_type {
        FileType::Mpeg => "audio/mpeg",
        FileType::Flac => "audio/flac",
        FileType::Opus | FileType::Vorbis | FileType::Speex => "audio/ogg",
        FileType::Mp4 => "audio/mp4",
        FileType::Aac => "audio/aac",
        FileType::Wav => "audio/wav",
        _ => return None,
    })
}

fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            AUDIO_EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        })
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    let inside = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = inside
        .components()
        .map(|component| match component {
            Component::Normal(part) => part.to_str(),
            _ => None,
        })
        .collect();
    Some(parts?.join("/"))
}

fn list(root: &Path) -> Vec<FileEntry> {
    let mut entries = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(true) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                tracing::warn!(%error, "a part of the music folder cannot be listed; skipped");
                continue;
            }
        };
        if !entry.file_type().is_file() || !is_audio(entry.path()) {
            continue;
        }
        let (Some(path), Ok(metadata)) = (relative(root, entry.path()), entry.metadata()) else {
            continue;
        };
        let modified_at = metadata
            .modified()
            .map(chrono::DateTime::<chrono::Utc>::from)
            .unwrap_or_default();
        entries.push(FileEntry {
            path,
            size: metadata.len(),
            modified_at,
        });
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries
}

fn text(value: Option<impl AsRef<str>>) -> Option<String> {
    value
        .map(|value| value.as_ref().trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn tags_of(tag: Option<&Tag>, fallback_title: &str) -> TrackTags {
    let Some(tag) = tag else {
        return TrackTags {
            title: fallback_title.to_owned(),
            ..TrackTags::default()
        };
    };
    let mut artists: Vec<String> = tag
        .get_strings(ItemKey::TrackArtist)
        .flat_map(|value| value.split(['\0', ';']))
        .filter_map(|artist| text(Some(artist)))
        .collect();
    artists.dedup();
    TrackTags {
        title: text(tag.title()).unwrap_or_else(|| fallback_title.to_owned()),
        artists,
        album: text(tag.album()),
        album_artist: text(tag.get_string(ItemKey::AlbumArtist)),
        track_number: tag.track(),
        disc_number: tag.disk(),
        year: tag.date().map(|date| u32::from(date.year)),
        genre: text(tag.genre()),
        duration_ms: None,
        has_cover: !tag.pictures().is_empty(),
    }
}

/// The usual extension of the audio file at `path`, from its content (`mp3`, `flac`, `ogg`,
/// `opus`, `m4a`, `aac`, `wav`); `None` when it is not audio the library knows.
pub fn audio_extension(path: &Path) -> Option<&'static str> {
    let probe = Probe::open(path).ok()?.guess_file_type().ok()?;
    Some(match probe.file_type()? {
        FileType::Mpeg => "mp3",
        FileType::Flac => "flac",
        FileType::Opus => "opus",
        FileType::Vorbis | FileType::Speex => "ogg",
        FileType::Mp4 => "m4a",
        FileType::Aac => "aac",
        FileType::Wav => "wav",
        _ => return None,
    })
}

fn read_file(full: &Path) -> Result<ReadFile, Unreadable> {
    let stem = full
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default()
        .to_owned();
    read_file_titled(full, &stem)
}

/// The file's tags and media type; tags without a title take `fallback_title`.
pub(crate) fn read_file_titled(full: &Path, fallback_title: &str) -> Result<ReadFile, Unreadable> {
    let probe = Probe::open(full)
        .map_err(|error| Unreadable(format!("the file cannot be opened: {error}")))?
        .guess_file_type()
        .map_err(|error| Unreadable(format!("the file cannot be read: {error}")))?;
    let Some(found) = probe.file_type() else {
        return Err(Unreadable(
            "its content is not an audio format the library knows".to_owned(),
        ));
    };
    let Some(content_type) = content_type(found) else {
        return Err(Unreadable(format!(
            "{found:?} is not a format the library plays (MP3, FLAC, Ogg, Opus, M4A, AAC, WAV)"
        )));
    };
    // Content lofty does not recognise is guessed from the name: "damaged" covers both.
    let file = probe.read().map_err(|error| {
        Unreadable(format!(
            "not a readable {found:?} file (damaged, or not audio): {error}"
        ))
    })?;
    let mut tags = tags_of(
        file.primary_tag().or_else(|| file.first_tag()),
        fallback_title,
    );
    let duration = file.properties().duration();
    tags.duration_ms = (!duration.is_zero()).then_some(duration.as_millis() as u64);
    Ok(ReadFile {
        tags,
        content_type: content_type.to_owned(),
    })
}

fn cover_of(full: &Path) -> anyhow::Result<Option<(String, Vec<u8>)>> {
    let file = Probe::open(full)?.guess_file_type()?.read()?;
    let picture = file.tags().iter().flat_map(|tag| tag.pictures()).next();
    Ok(picture.map(|picture| {
        let mime = picture
            .mime_type()
            .map_or("image/jpeg", |mime| mime.as_str())
            .to_owned();
        (mime, picture.data().to_vec())
    }))
}

pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .context("reading the music folder")
}

#[async_trait]
impl MusicFolder for FolderOnDisk {
    async fn files(&self) -> anyhow::Result<Vec<FileEntry>> {
        let root = self.root.clone();
        blocking(move || list(&root)).await
    }

    async fn read(&self, path: &str) -> Result<ReadFile, Unreadable> {
        let full = self
            .location(path)
            .ok_or_else(|| Unreadable("the path leaves the music folder".to_owned()))?;
        blocking(move || read_file(&full))
            .await
            .map_err(|error| Unreadable(format!("{error:#}")))?
    }

    async fn cover(&self, path: &str) -> anyhow::Result<Option<(String, Vec<u8>)>> {
        let Some(full) = self.location(path) else {
            return Ok(None);
        };
        blocking(move || cover_of(&full)).await?
    }

    fn location(&self, path: &str) -> Option<PathBuf> {
        let full = self.root.join(path).canonicalize().ok()?;
        full.starts_with(&self.root).then_some(full)
    }
}

/// No music folder (`SOIREE_MUSIC_DIR` unset): nothing to list, read or stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFolder;

#[async_trait]
impl MusicFolder for NoFolder {
    async fn files(&self) -> anyhow::Result<Vec<FileEntry>> {
        Ok(Vec::new())
    }

    async fn read(&self, _path: &str) -> Result<ReadFile, Unreadable> {
        Err(Unreadable("no music folder is configured".to_owned()))
    }

    async fn cover(&self, _path: &str) -> anyhow::Result<Option<(String, Vec<u8>)>> {
        Ok(None)
    }

    fn location(&self, _path: &str) -> Option<PathBuf> {
        None
    }
}
