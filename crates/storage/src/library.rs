//! The library's catalogue over SeaORM: one row per track, one per file (a unique key on source
//! and path, so concurrent scans upsert rather than duplicate), searched through folded keys.

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait as _, LikeExpr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, DatabaseBackend, DatabaseConnection,
    EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
};
use soiree_kernel::UserId;
use soiree_library::{
    AlbumKey, AlbumQuery, AlbumSummary, ArtistSummary, FileEntry, Indexed, MediaFile, SongQuery,
    Track, TrackId, TrackRepository, TrackSource, TrackTags, Viewer, search_key,
};

use crate::entity::library_tracks;

/// The catalogue in the database.
#[derive(Debug, Clone)]
pub struct SqlLibraryStore {
    connection: DatabaseConnection,
}

impl SqlLibraryStore {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }
}

/// Artists are kept in one column, separated by a character no tag holds.
const ARTIST_SEPARATOR: char = '\u{1F}';
const FOLDER: &str = "folder";
pub(crate) const UPLOAD: &str = "upload";
/// A provider's track: `path` is `{owner}/{uri}` (one per person and address under the
/// `(source, path)` key), with no file (size 0, no media type).
pub(crate) const PROVIDER: &str = "provider";

/// The tracks `viewer` may see: the folder's, and their own uploads and provider tracks
/// (these left out for a viewer who can only use files).
pub(crate) fn visible_to(viewer: Viewer) -> Condition {
    let visible = Condition::any()
        .add(library_tracks::Column::OwnerId.is_null())
        .add(library_tracks::Column::OwnerId.eq(viewer.user.as_uuid()));
    if viewer.files_only {
        Condition::all()
            .add(visible)
            .add(library_tracks::Column::Source.ne(PROVIDER))
    } else {
        visible
    }
}

/// [`visible_to`] as SQL for hand-written statements over `library_tracks` named `table`
/// (`?` stands for the viewer's id).
pub(crate) fn visible_sql(viewer: Viewer, table: &str) -> String {
    let visible = format!("({table}.owner_id IS NULL OR {table}.owner_id = ?)");
    if viewer.files_only {
        format!("{visible} AND {table}.source <> '{PROVIDER}'")
    } else {
        visible
    }
}

fn column_u32(value: Option<u32>) -> Option<i32> {
    value.and_then(|value| i32::try_from(value).ok())
}

pub(crate) fn row_of(track: &Track) -> library_tracks::ActiveModel {
    let (source, path, owner, content_hash) = match &track.source {
        TrackSource::Folder { path } => (FOLDER, path.clone(), None, None),
        TrackSource::Upload {
            owner,
            path,
            content_hash,
        } => (
            UPLOAD,
            path.clone(),
            Some(owner.as_uuid()),
            Some(content_hash.clone()),
        ),
        TrackSource::Provider { owner, uri } => (
            PROVIDER,
            format!("{owner}/{uri}"),
            Some(owner.as_uuid()),
            None,
        ),
    };
    let media = track.media.as_ref();
    let tags = &track.tags;
    let artists = tags.artists.join(" ");
    let album = tags.album.clone().unwrap_or_default();
    library_tracks::ActiveModel {
        id: Set(track.id.as_uuid()),
        source: Set(source.to_owned()),
        owner_id: Set(owner),
        content_hash: Set(content_hash),
        path: Set(path),
        size: Set(i64::try_from(track.bytes()).unwrap_or(i64::MAX)),
        modified_at: Set(media.map_or(track.added_at, |media| media.modified_at)),
        content_type: Set(media
            .map(|media| media.content_type.clone())
            .unwrap_or_default()),
        title: Set(tags.title.clone()),
        artists: Set(tags.artists.join(&ARTIST_SEPARATOR.to_string())),
        album: Set(tags.album.clone()),
        album_artist: Set(tags.album_artist.clone()),
        track_number: Set(column_u32(tags.track_number)),
        disc_number: Set(column_u32(tags.disc_number)),
        year: Set(column_u32(tags.year)),
        genre: Set(tags.genre.clone()),
        duration_ms: Set(tags
            .duration_ms
            .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX))),
        has_cover: Set(tags.has_cover),
        search_text: Set(search_key(&format!("{} {artists} {album}", tags.title))),
        artist_key: Set(search_key(&artists)),
        album_key: Set(search_key(&album)),
        title_key: Set(search_key(&tags.title)),
        added_at: Set(track.added_at),
        main_artist: Set(tags.main_artist().to_owned()),
    }
}

pub(crate) fn track_of(row: library_tracks::Model) -> Track {
    let number = |value: Option<i32>| value.and_then(|value| u32::try_from(value).ok());
    let media = MediaFile {
        content_type: row.content_type,
        size: u64::try_from(row.size).unwrap_or(0),
        modified_at: row.modified_at,
    };
    let (source, media) = match (row.source.as_str(), row.owner_id, row.content_hash) {
        (PROVIDER, Some(owner), _) => {
            let uri = row
                .path
                .split_once('/')
                .map_or(row.path.as_str(), |(_, uri)| uri)
                .to_owned();
            let owner = UserId::from_uuid(owner);
            (TrackSource::Provider { owner, uri }, None)
        }
        (_, Some(owner), Some(content_hash)) => (
            TrackSource::Upload {
                owner: UserId::from_uuid(owner),
                path: row.path,
                content_hash,
            },
            Some(media),
        ),
        _ => (TrackSource::Folder { path: row.path }, Some(media)),
    };
    Track {
        id: TrackId::from_uuid(row.id),
        source,
        tags: TrackTags {
            title: row.title,
            artists: row
                .artists
                .split(ARTIST_SEPARATOR)
                .filter(|artist| !artist.is_empty())
                .map(str::to_owned)
                .collect(),
            album: row.album,
            album_artist: row.album_artist,
            track_number: number(row.track_number),
            disc_number: number(row.disc_number),
            year: number(row.year),
            genre: row.genre,
            duration_ms: row.duration_ms.and_then(|ms| u64::try_from(ms).ok()),
            has_cover: row.has_cover,
        },
        media,
        added_at: row.added_at,
    }
}

/// `%folded%`, with LIKE's own characters escaped.
fn containing(text: &str) -> LikeExpr {
    let escaped = search_key(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// The text the search index can narrow by: the longest part of the query with three
/// characters or more (trigrams), which is usually the rarest.
fn narrowing_text(query: &SongQuery) -> Option<String> {
    let words = query.words.iter().flat_map(|words| {
        search_key(words)
            .split(' ')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    let others = [&query.artist, &query.album]
        .into_iter()
        .flatten()
        .map(|text| search_key(text));
    words
        .chain(others)
        .filter(|text| text.chars().count() >= 3)
        .max_by_key(|text| text.chars().count())
}

fn conditions(query: &SongQuery, backend: DatabaseBackend) -> Condition {
    let mut condition = Condition::all();
    // SQLite reads the trigram index only through MATCH; the exact conditions below still
    // decide. (PostgreSQL's trigram index serves the LIKE itself.)
    if backend == DatabaseBackend::Sqlite
        && let Some(text) = narrowing_text(query)
    {
        let phrase = format!("\"{}\"", text.replace('"', "\"\""));
        condition = condition.add(Expr::cust_with_values(
            "library_tracks.rowid IN (SELECT rowid FROM library_search WHERE library_search MATCH ?)",
            [phrase],
        ));
    }
    if let Some(words) = &query.words {
        for word in search_key(words).split(' ').filter(|word| !word.is_empty()) {
            condition =
                condition.add(Expr::col(library_tracks::Column::SearchText).like(containing(word)));
        }
    }
    if let Some(artist) = &query.artist {
        condition =
            condition.add(Expr::col(library_tracks::Column::ArtistKey).like(containing(artist)));
    }
    if let Some(album) = &query.album {
        condition =
            condition.add(Expr::col(library_tracks::Column::AlbumKey).like(containing(album)));
    }
    condition
}

#[async_trait]
impl TrackRepository for SqlLibraryStore {
    async fn folder_index(&self) -> anyhow::Result<Vec<Indexed>> {
        let rows: Vec<(uuid::Uuid, String, i64, chrono::DateTime<chrono::Utc>)> =
            library_tracks::Entity::find()
                .select_only()
                .column(library_tracks::Column::Id)
                .column(library_tracks::Column::Path)
                .column(library_tracks::Column::Size)
                .column(library_tracks::Column::ModifiedAt)
                .filter(library_tracks::Column::Source.eq(FOLDER))
                .into_tuple()
                .all(&self.connection)
                .await
                .context("listing the folder's tracks")?;
        Ok(rows
            .into_iter()
            .map(|(id, path, size, modified_at)| Indexed {
                id: TrackId::from_uuid(id),
                file: FileEntry {
                    path,
                    size: u64::try_from(size).unwrap_or(0),
                    modified_at,
                },
            })
            .collect())
    }

    async fn save(&self, tracks: &[Track]) -> anyhow::Result<()> {
        if tracks.is_empty() {
            return Ok(());
        }
        use library_tracks::Column as C;
        library_tracks::Entity::insert_many(tracks.iter().map(row_of))
            .on_conflict(
                OnConflict::columns([C::Source, C::Path])
                    .update_columns([
                        C::Size,
                        C::ModifiedAt,
                        C::ContentType,
                        C::Title,
                        C::Artists,
                        C::Album,
                        C::AlbumArtist,
                        C::TrackNumber,
                        C::DiscNumber,
                        C::Year,
                        C::Genre,
                        C::DurationMs,
                        C::HasCover,
                        C::SearchText,
                        C::ArtistKey,
                        C::AlbumKey,
                        C::TitleKey,
                        C::MainArtist,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.connection)
            .await
            .context("storing tracks")?;
        Ok(())
    }

    async fn remove(&self, ids: &[TrackId]) -> anyhow::Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut removed = 0;
        for chunk in ids.chunks(500) {
            removed += library_tracks::Entity::delete_many()
                .filter(library_tracks::Column::Id.is_in(chunk.iter().map(TrackId::as_uuid)))
                .exec(&self.connection)
                .await
                .context("removing tracks whose files are gone")?
                .rows_affected;
        }
        Ok(removed)
    }

    async fn search(
        &self,
        viewer: Viewer,
        query: &SongQuery,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<Track>, u64)> {
        let matching = library_tracks::Entity::find()
            .filter(visible_to(viewer))
            .filter(conditions(query, self.connection.get_database_backend()));
        let total = matching
            .clone()
            .count(&self.connection)
            .await
            .context("counting matching tracks")?;
        let rows = matching
            .order_by_asc(library_tracks::Column::ArtistKey)
            .order_by_asc(library_tracks::Column::AlbumKey)
            .order_by_asc(library_tracks::Column::DiscNumber)
            .order_by_asc(library_tracks::Column::TrackNumber)
            .order_by_asc(library_tracks::Column::TitleKey)
            .order_by_asc(library_tracks::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.connection)
            .await
            .context("searching the catalogue")?;
        Ok((rows.into_iter().map(track_of).collect(), total))
    }

    async fn track(&self, id: TrackId) -> anyhow::Result<Option<Track>> {
        let row = library_tracks::Entity::find_by_id(id.as_uuid())
            .one(&self.connection)
            .await
            .context("loading a track")?;
        Ok(row.map(track_of))
    }

    async fn tracks(&self, ids: &[TrackId]) -> anyhow::Result<Vec<Track>> {
        let mut tracks = Vec::with_capacity(ids.len());
        // Bounded lists of bound values (SQLite allows 32 766; PostgreSQL 65 535).
        for chunk in ids.chunks(500) {
            let rows = library_tracks::Entity::find()
                .filter(library_tracks::Column::Id.is_in(chunk.iter().map(TrackId::as_uuid)))
                .all(&self.connection)
                .await
                .context("loading tracks")?;
            tracks.extend(rows.into_iter().map(track_of));
        }
        Ok(tracks)
    }

    async fn artists(&self, viewer: Viewer) -> anyhow::Result<Vec<ArtistSummary>> {
        crate::browse::artists(&self.connection, viewer).await
    }

    async fn albums(
        &self,
        viewer: Viewer,
        query: &AlbumQuery,
    ) -> anyhow::Result<Vec<AlbumSummary>> {
        crate::browse::albums(&self.connection, viewer, query).await
    }

    async fn album_tracks(&self, viewer: Viewer, album: &AlbumKey) -> anyhow::Result<Vec<Track>> {
        crate::browse::album_tracks(&self.connection, viewer, album).await
    }

    async fn random(&self, viewer: Viewer, count: u32) -> anyhow::Result<Vec<Track>> {
        crate::browse::random(&self.connection, viewer, count).await
    }

    async fn uploaded_bytes(&self, owner: UserId) -> anyhow::Result<u64> {
        crate::uploads::uploaded_bytes(&self.connection, owner).await
    }

    async fn uploads_of(&self, owner: UserId) -> anyhow::Result<Vec<Track>> {
        crate::uploads::uploads_of(&self.connection, owner).await
    }

    async fn provider_tracks_of(&self, owner: UserId) -> anyhow::Result<Vec<Track>> {
        let rows = library_tracks::Entity::find()
            .filter(library_tracks::Column::Source.eq(PROVIDER))
            .filter(library_tracks::Column::OwnerId.eq(owner.as_uuid()))
            .order_by_desc(library_tracks::Column::AddedAt)
            .order_by_desc(library_tracks::Column::Id)
            .all(&self.connection)
            .await
            .context("listing someone's provider tracks")?;
        Ok(rows.into_iter().map(track_of).collect())
    }

    async fn upload_by_hash(
        &self,
        owner: UserId,
        content_hash: &str,
    ) -> anyhow::Result<Option<Track>> {
        crate::uploads::upload_by_hash(&self.connection, owner, content_hash).await
    }

    async fn save_upload(
        &self,
        track: &Track,
        limit: Option<u64>,
    ) -> anyhow::Result<soiree_library::SavedUpload> {
        crate::uploads::save_upload(&self.connection, track, limit).await
    }
}
