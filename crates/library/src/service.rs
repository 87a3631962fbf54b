//! The library's use cases: scanning (in `scan.rs`), searching, reading a track.

use std::sync::Arc;

use soiree_kernel::{Clock, UserId};

use crate::error::{StreamError, TrackError};
use crate::model::{
    PAGE_SIZE, ProviderTrack, SongPage, SongQuery, Track, TrackId, TrackSource, Viewer,
};
use crate::ports::{ListeningRepository, MusicFolder, TrackRepository};

/// The library over its ports.
#[derive(Debug)]
pub struct LibraryService {
    pub(crate) folder: Arc<dyn MusicFolder>,
    /// Uploaded files, read like the folder's (none until [`with_uploads`](Self::with_uploads)).
    pub(crate) uploads: Option<Arc<dyn MusicFolder>>,
    pub(crate) tracks: Arc<dyn TrackRepository>,
    /// Stars, plays and what people play now.
    pub(crate) listening: Arc<dyn ListeningRepository>,
    pub(crate) clock: Arc<dyn Clock>,
    /// One scan at a time in this process (two processes may scan at once: the catalogue keeps
    /// one track per file).
    pub(crate) scanning: async_lock::Mutex<()>,
}

impl LibraryService {
    /// Wires the service.
    pub fn new(
        folder: Arc<dyn MusicFolder>,
        tracks: Arc<dyn TrackRepository>,
        listening: Arc<dyn ListeningRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            folder,
            uploads: None,
            tracks,
            listening,
            clock,
            scanning: async_lock::Mutex::new(()),
        }
    }

    /// Reads uploaded tracks' files through `uploads` (stream and cover).
    pub fn with_uploads(mut self, uploads: Arc<dyn MusicFolder>) -> Self {
        self.uploads = Some(uploads);
        self
    }

    /// Where a track's file is read from, and its path there.
    fn file_of<'t>(&self, track: &'t Track) -> Option<(&dyn MusicFolder, &'t str)> {
        match &track.source {
            TrackSource::Folder { path } => Some((self.folder.as_ref(), path)),
            TrackSource::Upload { path, .. } => Some((self.uploads.as_deref()?, path)),
            TrackSource::Provider { .. } => None,
        }
    }

    /// One page of the tracks `viewer` may see that match `query`.
    pub async fn songs(
        &self,
        viewer: impl Into<Viewer>,
        query: &SongQuery,
    ) -> anyhow::Result<SongPage> {
        let viewer = viewer.into();
        let offset = u64::from(query.page) * u64::from(PAGE_SIZE);
        let (tracks, total) = self
            .tracks
            .search(viewer, query, offset, u64::from(PAGE_SIZE))
            .await?;
        Ok(SongPage {
            tracks,
            total,
            page: query.page,
        })
    }

    /// Up to `limit` tracks `viewer` may see that match `query` (its page ignored), after
    /// `offset`; with how many match in all.
    pub async fn search_tracks(
        &self,
        viewer: impl Into<Viewer>,
        query: &SongQuery,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<Track>, u64)> {
        self.tracks
            .search(viewer.into(), query, offset, limit)
            .await
    }

    /// The track with this id, if `viewer` may see it.
    pub async fn track(&self, viewer: impl Into<Viewer>, id: TrackId) -> Result<Track, TrackError> {
        let viewer = viewer.into();
        self.tracks
            .track(id)
            .await?
            .filter(|track| track.source.visible_to(viewer))
            .ok_or(TrackError::NotFound)
    }

    /// The tracks with these ids that `viewer` may see, in the order asked (one read of the
    /// catalogue, whatever the number; ids not found are left out).
    pub async fn tracks(
        &self,
        viewer: impl Into<Viewer>,
        ids: &[TrackId],
    ) -> anyhow::Result<Vec<Track>> {
        let viewer = viewer.into();
        let found: std::collections::HashMap<TrackId, Track> = self
            .tracks
            .tracks(ids)
            .await?
            .into_iter()
            .filter(|track| track.source.visible_to(viewer))
            .map(|track| (track.id, track))
            .collect();
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    /// Where `viewer` may stream the track from, with the track and its file.
    pub async fn stream(
        &self,
        viewer: UserId,
        id: TrackId,
    ) -> Result<(Track, crate::model::MediaFile, std::path::PathBuf), StreamError> {
        let track = self.track(viewer, id).await?;
        if let TrackSource::Provider { uri, .. } = &track.source {
            return Err(StreamError::NoFile { uri: uri.clone() });
        }
        let media = track.media.clone().ok_or(StreamError::NotFound)?;
        let (files, path) = self.file_of(&track).ok_or(StreamError::NotFound)?;
        let location = files.location(path).ok_or(StreamError::NotFound)?;
        Ok((track, media, location))
    }

    /// Keeps a music service's tracks in `owner`'s library (a track played in a room they
    /// hosted, a track they like there): a track kept already takes the new details and keeps
    /// its id. Only `owner` sees them; they have no file, so they stream through the service.
    pub async fn keep_provider_tracks(
        &self,
        owner: UserId,
        tracks: Vec<ProviderTrack>,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        let tracks: Vec<Track> = tracks
            .into_iter()
            .map(|track| Track {
                id: TrackId::generate(),
                source: TrackSource::Provider {
                    owner,
                    uri: track.uri,
                },
                tags: track.tags,
                media: None,
                added_at: now,
            })
            .collect();
        self.tracks.save(&tracks).await
    }

    /// The music services' tracks in `owner`'s library, newest first.
    pub async fn provider_tracks(&self, owner: UserId) -> anyhow::Result<Vec<Track>> {
        self.tracks.provider_tracks_of(owner).await
    }

    /// Removes the music services' tracks with these addresses from `owner`'s library (likes
    /// taken back); how many.
    pub async fn forget_provider_uris(
        &self,
        owner: UserId,
        uris: &[String],
    ) -> anyhow::Result<u64> {
        let ids: Vec<TrackId> = self
            .tracks
            .provider_tracks_of(owner)
            .await?
            .iter()
            .filter(|track| {
                track
                    .source
                    .provider_uri()
                    .is_some_and(|uri| uris.iter().any(|gone| gone == uri))
            })
            .map(|track| track.id)
            .collect();
        self.tracks.remove(&ids).await
    }

    /// Removes every provider track of `owner`'s library (their account is going).
    pub async fn forget_provider_tracks(&self, owner: UserId) -> anyhow::Result<u64> {
        let ids: Vec<TrackId> = self
            .tracks
            .provider_tracks_of(owner)
            .await?
            .iter()
            .map(|track| track.id)
            .collect();
        self.tracks.remove(&ids).await
    }

    /// The track's embedded cover (media type and bytes), if `viewer` may see it and it has one.
    pub async fn cover(
        &self,
        viewer: impl Into<Viewer>,
        id: TrackId,
    ) -> Result<Option<(String, Vec<u8>)>, TrackError> {
        let track = self.track(viewer, id).await?;
        if !track.tags.has_cover {
            return Ok(None);
        }
        let Some((files, path)) = self.file_of(&track) else {
            return Ok(None);
        };
        Ok(files.cover(path).await?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use soiree_kernel::{SystemClock, UserId};

    use super::*;
    use crate::memory::{InMemoryFolder, InMemoryListening, InMemoryTracks};
    use crate::model::TrackTags;

    fn library() -> (LibraryService, Arc<InMemoryFolder>) {
        let folder = Arc::new(InMemoryFolder::default());
        let service = LibraryService::new(
            folder.clone(),
            Arc::new(InMemoryTracks::default()),
            Arc::new(InMemoryListening::default()),
            Arc::new(SystemClock),
        );
        (service, folder)
    }

    #[tokio::test]
    async fn a_scan_reads_only_new_and_changed_files_and_forgets_removed_ones() {
        let (library, folder) = library();
        folder.put("a/one.flac", TrackTags::titled("One", "Ada"));
        folder.put("a/two.flac", TrackTags::titled("Two", "Ada"));
        folder.put("b/three.mp3", TrackTags::titled("Three", "Bob"));
        let first = library.scan(&|_| {}).await.unwrap();
        assert_eq!((first.added, first.unchanged), (3, 0));
        assert_eq!(folder.reads(), 3);

        // Nothing changed: nothing read.
        let second = library.scan(&|_| {}).await.unwrap();
        assert_eq!((second.added, second.updated, second.unchanged), (0, 0, 3));
        assert_eq!(folder.reads(), 3);

        // One changed, one removed, one new.
        let before = library
            .songs(UserId::generate(), &SongQuery::words("two"))
            .await
            .unwrap()
            .tracks[0]
            .id;
        folder.put("a/two.flac", TrackTags::titled("Two (remastered)", "Ada"));
        folder.delete("b/three.mp3");
        folder.put("c/four.ogg", TrackTags::titled("Four", "Cy"));
        let third = library.scan(&|_| {}).await.unwrap();
        assert_eq!(
            (third.added, third.updated, third.unchanged, third.removed),
            (1, 1, 1, 1)
        );
        assert_eq!(folder.reads(), 5);
        let changed = library
            .songs(UserId::generate(), &SongQuery::words("remastered"))
            .await
            .unwrap();
        assert_eq!(
            changed.tracks[0].id, before,
            "a changed file keeps its track"
        );
        assert_eq!(
            library
                .songs(UserId::generate(), &SongQuery::default())
                .await
                .unwrap()
                .total,
            3
        );
    }

    #[tokio::test]
    async fn unreadable_files_are_reported_and_do_not_stop_the_scan() {
        let (library, folder) = library();
        folder.put("good.flac", TrackTags::titled("Good", "Ada"));
        folder.put_unreadable("broken.mp3", "no MPEG frame found");
        folder.put("later.flac", TrackTags::titled("Later", "Ada"));
        let seen = std::sync::Mutex::new(Vec::new());
        let report = library
            .scan(&|progress| seen.lock().unwrap().push(progress.done))
            .await
            .unwrap();
        assert_eq!(report.added, 2);
        assert_eq!(
            report.skipped,
            [crate::Skipped {
                path: "broken.mp3".into(),
                reason: "no MPEG frame found".into()
            }]
        );
        assert_eq!(
            *seen.lock().unwrap(),
            [1, 2, 3],
            "progress after every file"
        );
    }

    #[tokio::test]
    async fn search_ignores_case_and_accents_and_filters_by_artist_and_album() {
        let (library, folder) = library();
        let mut halo = TrackTags::titled("Halo", "Beyoncé");
        halo.album = Some("I Am… Sasha Fierce".into());
        folder.put("halo.flac", halo);
        folder.put(
            "hoppipolla.flac",
            TrackTags::titled("Hoppípolla", "Sigur Rós"),
        );
        library.scan(&|_| {}).await.unwrap();
        let viewer = UserId::generate();
        let library = &library;
        let titles = |query: SongQuery| async move {
            library
                .songs(viewer, &query)
                .await
                .unwrap()
                .tracks
                .into_iter()
                .map(|track| track.tags.title)
                .collect::<Vec<_>>()
        };
        assert_eq!(titles(SongQuery::words("BEYONCE halo")).await, ["Halo"]);
        assert_eq!(titles(SongQuery::words("hoppipolla")).await, ["Hoppípolla"]);
        assert!(titles(SongQuery::words("halo rós")).await.is_empty());
        let by_album = SongQuery {
            album: Some("sasha".into()),
            ..SongQuery::default()
        };
        assert_eq!(titles(by_album).await, ["Halo"]);
        let by_artist = SongQuery {
            artist: Some("sigur ros".into()),
            ..SongQuery::default()
        };
        assert_eq!(titles(by_artist).await, ["Hoppípolla"]);
    }

    #[tokio::test]
    async fn an_unknown_track_is_not_found() {
        let (library, _) = library();
        assert!(matches!(
            library.track(UserId::generate(), TrackId::generate()).await,
            Err(TrackError::NotFound)
        ));
    }

    fn provider_track(uri: &str, title: &str, artist: &str) -> ProviderTrack {
        ProviderTrack {
            uri: uri.to_owned(),
            tags: TrackTags::titled(title, artist),
        }
    }

    #[tokio::test]
    async fn a_provider_track_is_kept_once_per_person_seen_by_them_alone_and_never_streamed() {
        let (library, folder) = library();
        folder.put("halo.flac", TrackTags::titled("Halo", "Beyoncé"));
        library.scan(&|_| {}).await.unwrap();
        let (ada, bob) = (UserId::generate(), UserId::generate());
        let uri = "spotify:track:4uLU6hMCjMI75M1A2tKUQC";
        library
            .keep_provider_tracks(ada, vec![provider_track(uri, "Never", "Rick")])
            .await
            .unwrap();
        let first = library.provider_tracks(ada).await.unwrap();
        // Kept again (it played in another room): the same track, with the newer details.
        library
            .keep_provider_tracks(
                ada,
                vec![provider_track(
                    uri,
                    "Never Gonna Give You Up",
                    "Rick Astley",
                )],
            )
            .await
            .unwrap();
        let kept = library.provider_tracks(ada).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, first[0].id, "one track per person and address");
        assert_eq!(kept[0].tags.title, "Never Gonna Give You Up");
        assert_eq!(kept[0].source.provider_uri(), Some(uri));

        // Bob keeps his own; neither sees the other's.
        library
            .keep_provider_tracks(bob, vec![provider_track(uri, "Never", "Rick")])
            .await
            .unwrap();
        let all = library.songs(ada, &SongQuery::default()).await.unwrap();
        assert_eq!(all.total, 2, "the folder's track and Ada's own");
        assert!(all.tracks.iter().all(|track| track.source.visible_to(ada)));
        assert!(matches!(
            library.track(bob, kept[0].id).await,
            Err(TrackError::NotFound)
        ));

        // A music app (files only) is not shown it, and it has no file to stream.
        let apps = library
            .songs(Viewer::files_only(ada), &SongQuery::default())
            .await
            .unwrap();
        assert_eq!(apps.tracks.len(), 1);
        assert_eq!(apps.tracks[0].tags.title, "Halo");
        assert!(
            library
                .artists(Viewer::files_only(ada))
                .await
                .unwrap()
                .iter()
                .all(|artist| artist.name != "Rick Astley")
        );
        assert!(matches!(
            library.stream(ada, kept[0].id).await,
            Err(StreamError::NoFile { uri: found }) if found == uri
        ));

        // The account goes: its provider tracks go with it.
        assert_eq!(library.forget_provider_tracks(ada).await.unwrap(), 1);
        assert!(library.provider_tracks(ada).await.unwrap().is_empty());
        assert_eq!(library.provider_tracks(bob).await.unwrap().len(), 1);
    }
}
