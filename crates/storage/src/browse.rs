//! Browsing the catalogue (artists, albums, an album's tracks, random tracks) and people's
//! listening (stars, plays, now playing) over SeaORM. Artists and albums are `GROUP BY`s on the
//! `(main_artist, album_key)` index; album lists by stars and plays join the viewer's rows.

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, DatabaseBackend, DatabaseConnection, EntityTrait as _,
    FromQueryResult, QueryFilter as _, QueryOrder as _, QuerySelect as _, Statement, Value,
};
use soiree_kernel::{Timestamp, UserId};
use soiree_library::{
    AlbumKey, AlbumOrder, AlbumQuery, AlbumSummary, ArtistSummary, Favourite, ListeningRepository,
    Track, TrackId, Viewer, search_key,
};

use crate::entity::{library_plays, library_stars, library_tracks, now_playing};

/// `sql` with `?` placeholders numbered for PostgreSQL (`$1`, ...); as written for SQLite.
pub(crate) fn placeholders(sql: &str, backend: DatabaseBackend) -> String {
    if backend != DatabaseBackend::Postgres {
        return sql.to_owned();
    }
    let mut numbered = String::with_capacity(sql.len() + 16);
    let mut count = 0;
    for character in sql.chars() {
        if character == '?' {
            count += 1;
            numbered.push_str(&format!("${count}"));
        } else {
            numbered.push(character);
        }
    }
    numbered
}

/// How an album is starred: its main artist and folded title.
const ITEM_SEPARATOR: char = '\u{1F}';

fn item_of(favourite: &Favourite) -> String {
    match favourite {
        Favourite::Track(id) => format!("t:{}", id.as_uuid()),
        Favourite::Album(key) => {
            format!("a:{}{ITEM_SEPARATOR}{}", key.artist, search_key(&key.title))
        }
        Favourite::Artist(name) => format!("r:{name}"),
    }
}

fn favourite_of(item: &str) -> Option<Favourite> {
    let (kind, rest) = item.split_at_checked(2)?;
    match kind {
        "t:" => uuid::Uuid::parse_str(rest)
            .ok()
            .map(|id| Favourite::Track(TrackId::from_uuid(id))),
        "a:" => rest.split_once(ITEM_SEPARATOR).map(|(artist, title)| {
            Favourite::Album(AlbumKey {
                artist: artist.to_owned(),
                title: title.to_owned(),
            })
        }),
        "r:" => Some(Favourite::Artist(rest.to_owned())),
        _ => None,
    }
}

#[derive(Debug, FromQueryResult)]
struct ArtistRow {
    main_artist: String,
    albums: i64,
    tracks: i64,
}

#[derive(Debug, FromQueryResult)]
struct AlbumRow {
    main_artist: String,
    album: Option<String>,
    tracks: i64,
    duration_ms: Option<i64>,
    year: Option<i32>,
    genre: Option<String>,
    added_at: chrono::DateTime<chrono::Utc>,
    has_cover: i32,
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

pub(crate) async fn artists(
    connection: &DatabaseConnection,
    viewer: Viewer,
) -> anyhow::Result<Vec<ArtistSummary>> {
    let backend = connection.get_database_backend();
    let rows = ArtistRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        placeholders(
            &format!(
                "SELECT main_artist, COUNT(DISTINCT album_key) AS albums, COUNT(*) AS tracks \
                 FROM library_tracks WHERE {} GROUP BY main_artist",
                crate::library::visible_sql(viewer, "library_tracks")
            ),
            backend,
        ),
        [viewer.user.as_uuid().into()],
    ))
    .all(connection)
    .await
    .context("listing artists")?;
    let mut artists: Vec<ArtistSummary> = rows
        .into_iter()
        .map(|row| ArtistSummary {
            name: row.main_artist,
            albums: count(row.albums),
            tracks: count(row.tracks),
        })
        .collect();
    artists.sort_by_cached_key(|artist| (search_key(&artist.name), artist.name.clone()));
    Ok(artists)
}

pub(crate) async fn albums(
    connection: &DatabaseConnection,
    viewer: Viewer,
    query: &AlbumQuery,
) -> anyhow::Result<Vec<AlbumSummary>> {
    let backend = connection.get_database_backend();
    // The statement's parts with their values, in the order they stand in it.
    let mut join = (String::new(), Vec::<Value>::new());
    // The folder's tracks and the viewer's own.
    let visible = crate::library::visible_sql(viewer, "t");
    let mut filters = (
        vec![visible.as_str()],
        vec![Value::from(viewer.user.as_uuid())],
    );
    let mut having = (String::new(), Vec::<Value>::new());
    // The viewer's plays, one row per track (so that an album's own figures are not multiplied
    // by its plays).
    let plays = " JOIN (SELECT track_id, COUNT(*) AS plays, MAX(played_at) AS last_played                  FROM library_plays WHERE user_id = ? GROUP BY track_id) p ON p.track_id = t.id";
    let order = match &query.order {
        AlbumOrder::Newest => "MAX(t.added_at) DESC",
        AlbumOrder::ByTitle => "t.album_key, t.main_artist",
        AlbumOrder::ByArtist => "LOWER(t.main_artist), t.album_key",
        AlbumOrder::Random => "RANDOM()",
        AlbumOrder::ByYear { from, to } => {
            having = (
                " HAVING MAX(t.year) BETWEEN ? AND ?".to_owned(),
                vec![
                    i64::from((*from).min(*to)).into(),
                    i64::from((*from).max(*to)).into(),
                ],
            );
            if from <= to {
                "MAX(t.year), t.album_key"
            } else {
                "MAX(t.year) DESC, t.album_key"
            }
        }
        AlbumOrder::ByGenre(genre) => {
            filters.0.push("LOWER(t.genre) = LOWER(?)");
            filters.1.push(genre.trim().to_owned().into());
            "t.album_key, t.main_artist"
        }
        AlbumOrder::Starred => {
            join = (
                " JOIN library_stars s ON s.user_id = ? \
                 AND s.item = ('a:' || t.main_artist || ? || t.album_key)"
                    .to_owned(),
                vec![
                    viewer.user.as_uuid().into(),
                    ITEM_SEPARATOR.to_string().into(),
                ],
            );
            "MAX(s.starred_at) DESC"
        }
        AlbumOrder::Frequent => {
            join = (plays.to_owned(), vec![viewer.user.as_uuid().into()]);
            "SUM(p.plays) DESC, MAX(p.last_played) DESC"
        }
        AlbumOrder::Recent => {
            join = (plays.to_owned(), vec![viewer.user.as_uuid().into()]);
            "MAX(p.last_played) DESC"
        }
    };
    if let Some(artist) = &query.artist {
        filters.0.push("t.main_artist = ?");
        filters.1.push(artist.clone().into());
    }
    let filter = format!(" WHERE {}", filters.0.join(" AND "));
    let sql = format!(
        "SELECT t.main_artist AS main_artist, MIN(t.album) AS album, \
         COUNT(*) AS tracks, CAST(SUM(t.duration_ms) AS BIGINT) AS duration_ms, \
         MAX(t.year) AS year, MAX(t.genre) AS genre, MAX(t.added_at) AS added_at, \
         MAX(CASE WHEN t.has_cover THEN 1 ELSE 0 END) AS has_cover \
         FROM library_tracks t{}{filter} GROUP BY t.main_artist, t.album_key{} \
         ORDER BY {order} LIMIT ? OFFSET ?",
        join.0, having.0
    );
    let mut values = join.1;
    values.extend(filters.1);
    values.extend(having.1);
    values.push(i64::try_from(query.limit).unwrap_or(i64::MAX).into());
    values.push(i64::try_from(query.offset).unwrap_or(i64::MAX).into());
    let rows = AlbumRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        placeholders(&sql, backend),
        values,
    ))
    .all(connection)
    .await
    .context("listing albums")?;
    Ok(rows
        .into_iter()
        .map(|row| AlbumSummary {
            key: AlbumKey {
                artist: row.main_artist,
                title: row.album.unwrap_or_default(),
            },
            tracks: count(row.tracks),
            duration_ms: row
                .duration_ms
                .and_then(|ms| u64::try_from(ms).ok())
                .unwrap_or(0),
            year: row.year.and_then(|year| u32::try_from(year).ok()),
            genre: row.genre,
            added_at: row.added_at,
            has_cover: row.has_cover != 0,
        })
        .collect())
}

pub(crate) async fn album_tracks(
    connection: &DatabaseConnection,
    viewer: Viewer,
    album: &AlbumKey,
) -> anyhow::Result<Vec<Track>> {
    let rows = library_tracks::Entity::find()
        .filter(crate::library::visible_to(viewer))
        .filter(library_tracks::Column::MainArtist.eq(album.artist.as_str()))
        .filter(library_tracks::Column::AlbumKey.eq(search_key(&album.title)))
        .order_by_asc(library_tracks::Column::DiscNumber)
        .order_by_asc(library_tracks::Column::TrackNumber)
        .order_by_asc(library_tracks::Column::TitleKey)
        .order_by_asc(library_tracks::Column::Id)
        .all(connection)
        .await
        .context("listing an album's tracks")?;
    Ok(rows.into_iter().map(crate::library::track_of).collect())
}

pub(crate) async fn random(
    connection: &DatabaseConnection,
    viewer: Viewer,
    count: u32,
) -> anyhow::Result<Vec<Track>> {
    let rows = library_tracks::Entity::find()
        .filter(crate::library::visible_to(viewer))
        .order_by_asc(Expr::cust("RANDOM()"))
        .limit(u64::from(count))
        .all(connection)
        .await
        .context("drawing random tracks")?;
    Ok(rows.into_iter().map(crate::library::track_of).collect())
}

/// Stars, plays and now playing in the database.
#[derive(Debug, Clone)]
pub struct SqlListeningStore {
    connection: DatabaseConnection,
}

impl SqlListeningStore {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }
}

#[async_trait]
impl ListeningRepository for SqlListeningStore {
    async fn star(
        &self,
        user_id: UserId,
        items: &[Favourite],
        at: Timestamp,
    ) -> anyhow::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        library_stars::Entity::insert_many(items.iter().map(|item| library_stars::ActiveModel {
            user_id: Set(user_id.as_uuid()),
            item: Set(item_of(item)),
            track_id: Set(match item {
                Favourite::Track(id) => Some(id.as_uuid()),
                _ => None,
            }),
            starred_at: Set(at),
        }))
        .on_conflict_do_nothing_on([library_stars::Column::UserId, library_stars::Column::Item])
        .exec_without_returning(&self.connection)
        .await
        .context("starring")?;
        Ok(())
    }

    async fn unstar(&self, user_id: UserId, items: &[Favourite]) -> anyhow::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        library_stars::Entity::delete_many()
            .filter(library_stars::Column::UserId.eq(user_id.as_uuid()))
            .filter(library_stars::Column::Item.is_in(items.iter().map(item_of)))
            .exec(&self.connection)
            .await
            .context("unstarring")?;
        Ok(())
    }

    async fn favourites_of(&self, user_id: UserId) -> anyhow::Result<Vec<(Favourite, Timestamp)>> {
        let rows = library_stars::Entity::find()
            .filter(library_stars::Column::UserId.eq(user_id.as_uuid()))
            .order_by_desc(library_stars::Column::StarredAt)
            .order_by_asc(library_stars::Column::Item)
            .all(&self.connection)
            .await
            .context("listing favourites")?;
        Ok(rows
            .into_iter()
            .filter_map(|row| Some((favourite_of(&row.item)?, row.starred_at)))
            .collect())
    }

    async fn record_play(
        &self,
        user_id: UserId,
        track: TrackId,
        at: Timestamp,
    ) -> anyhow::Result<()> {
        library_plays::Entity::insert(library_plays::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            user_id: Set(user_id.as_uuid()),
            track_id: Set(track.as_uuid()),
            played_at: Set(at),
        })
        .exec_without_returning(&self.connection)
        .await
        .context("recording a play")?;
        Ok(())
    }

    async fn set_now_playing(
        &self,
        user_id: UserId,
        track: TrackId,
        client: &str,
        at: Timestamp,
    ) -> anyhow::Result<()> {
        use now_playing::Column as C;
        now_playing::Entity::insert(now_playing::ActiveModel {
            user_id: Set(user_id.as_uuid()),
            track_id: Set(track.as_uuid()),
            client: Set(client.to_owned()),
            started_at: Set(at),
        })
        .on_conflict(
            OnConflict::column(C::UserId)
                .update_columns([C::TrackId, C::Client, C::StartedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.connection)
        .await
        .context("recording what is playing")?;
        Ok(())
    }

    async fn now_playing(
        &self,
        since: Timestamp,
    ) -> anyhow::Result<Vec<(UserId, TrackId, String, Timestamp)>> {
        let rows = now_playing::Entity::find()
            .filter(now_playing::Column::StartedAt.gte(since))
            .order_by_desc(now_playing::Column::StartedAt)
            .limit(100)
            .all(&self.connection)
            .await
            .context("listing what is playing")?;
        Ok(rows
            .into_iter()
            .map(|row| {
                (
                    UserId::from_uuid(row.user_id),
                    TrackId::from_uuid(row.track_id),
                    row.client,
                    row.started_at,
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn favourites_are_stored_as_items_and_read_back() {
        for favourite in [
            Favourite::Track(TrackId::generate()),
            Favourite::Album(AlbumKey {
                artist: "Ada".into(),
                title: "first light".into(),
            }),
            Favourite::Artist("Sigur Rós".into()),
        ] {
            assert_eq!(favourite_of(&item_of(&favourite)), Some(favourite));
        }
        assert_eq!(
            placeholders("a = ? AND b = ?", DatabaseBackend::Postgres),
            "a = $1 AND b = $2"
        );
    }
}
