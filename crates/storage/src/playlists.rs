//! Playlists over SeaORM: the quota counted under the owner's row lock, entries in positions,
//! a new order written by one statement.

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, DatabaseConnection, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, TransactionTrait as _,
};
use soiree_kernel::{Timestamp, TrackRef, UserId};
use soiree_library::{
    EntryId, Playlist, PlaylistEntry, PlaylistId, PlaylistItem, PlaylistName, PlaylistRepository,
    PlaylistSummary, TrackId,
};

use crate::entity::{playlist_entries, playlists, users};

/// Playlists in the database.
#[derive(Debug, Clone)]
pub struct SqlPlaylistStore {
    connection: DatabaseConnection,
}

impl SqlPlaylistStore {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }

    async fn touch(
        &self,
        connection: &impl sea_orm::ConnectionTrait,
        id: PlaylistId,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let touched = playlists::Entity::update_many()
            .col_expr(playlists::Column::UpdatedAt, Expr::value(at))
            .filter(playlists::Column::Id.eq(id.as_uuid()))
            .exec(connection)
            .await
            .context("marking a playlist changed")?;
        Ok(touched.rows_affected == 1)
    }
}

fn name_of(stored: &str) -> anyhow::Result<PlaylistName> {
    PlaylistName::parse(stored).context("a stored playlist name")
}

fn entry_of(row: playlist_entries::Model) -> anyhow::Result<PlaylistEntry> {
    let item = match (row.track_id, row.provider_uri) {
        (Some(track), _) => PlaylistItem::Library(TrackId::from_uuid(track)),
        (None, Some(uri)) => PlaylistItem::Provider(
            TrackRef::parse(&uri).map_err(|_| anyhow::anyhow!("a stored track URI {uri:?}"))?,
        ),
        (None, None) => anyhow::bail!("a playlist entry {} with no track", row.id),
    };
    Ok(PlaylistEntry {
        id: EntryId::from_uuid(row.id),
        item,
        added_at: row.added_at,
    })
}

#[async_trait]
impl PlaylistRepository for SqlPlaylistStore {
    async fn create(&self, playlist: &Playlist, limit: Option<u32>) -> anyhow::Result<bool> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a new playlist")?;
        // The owner's row first: its lock on PostgreSQL, the write lock on SQLite, so that
        // playlists made at once are counted one after another, in every process.
        users::Entity::update_many()
            .col_expr(users::Column::Id, Expr::col(users::Column::Id))
            .filter(users::Column::Id.eq(playlist.owner.as_uuid()))
            .exec(&transaction)
            .await
            .context("locking the owner for a new playlist")?;
        if let Some(limit) = limit {
            let owned = playlists::Entity::find()
                .filter(playlists::Column::OwnerId.eq(playlist.owner.as_uuid()))
                .count(&transaction)
                .await
                .context("counting the owner's playlists")?;
            if owned >= u64::from(limit) {
                return Ok(false);
            }
        }
        playlists::Entity::insert(playlists::ActiveModel {
            id: Set(playlist.id.as_uuid()),
            owner_id: Set(playlist.owner.as_uuid()),
            name: Set(playlist.name.as_str().to_owned()),
            created_at: Set(playlist.created_at),
            updated_at: Set(playlist.updated_at),
        })
        .exec_without_returning(&transaction)
        .await
        .context("storing a playlist")?;
        transaction.commit().await.context("storing a playlist")?;
        Ok(true)
    }

    async fn playlists_of(&self, owner: UserId) -> anyhow::Result<Vec<PlaylistSummary>> {
        let rows = playlists::Entity::find()
            .filter(playlists::Column::OwnerId.eq(owner.as_uuid()))
            .order_by_desc(playlists::Column::UpdatedAt)
            .all(&self.connection)
            .await
            .context("listing playlists")?;
        let counts: Vec<(uuid::Uuid, i64)> = playlist_entries::Entity::find()
            .select_only()
            .column(playlist_entries::Column::PlaylistId)
            .column_as(playlist_entries::Column::Id.count(), "entries")
            .filter(playlist_entries::Column::PlaylistId.is_in(rows.iter().map(|row| row.id)))
            .group_by(playlist_entries::Column::PlaylistId)
            .into_tuple()
            .all(&self.connection)
            .await
            .context("counting playlist entries")?;
        rows.into_iter()
            .map(|row| {
                let entries = counts
                    .iter()
                    .find(|(id, _)| *id == row.id)
                    .map_or(0, |(_, count)| u32::try_from(*count).unwrap_or(u32::MAX));
                Ok(PlaylistSummary {
                    id: PlaylistId::from_uuid(row.id),
                    name: name_of(&row.name)?,
                    entries,
                    updated_at: row.updated_at,
                })
            })
            .collect()
    }

    async fn playlist(&self, id: PlaylistId) -> anyhow::Result<Option<Playlist>> {
        let Some(row) = playlists::Entity::find_by_id(id.as_uuid())
            .one(&self.connection)
            .await
            .context("loading a playlist")?
        else {
            return Ok(None);
        };
        let entries = playlist_entries::Entity::find()
            .filter(playlist_entries::Column::PlaylistId.eq(row.id))
            .order_by_asc(playlist_entries::Column::Position)
            .order_by_asc(playlist_entries::Column::Id)
            .all(&self.connection)
            .await
            .context("loading a playlist's entries")?
            .into_iter()
            .map(entry_of)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Some(Playlist {
            id,
            owner: UserId::from_uuid(row.owner_id),
            name: name_of(&row.name)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
            entries,
        }))
    }

    async fn rename(
        &self,
        id: PlaylistId,
        name: &PlaylistName,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let renamed = playlists::Entity::update_many()
            .col_expr(playlists::Column::Name, Expr::value(name.as_str()))
            .col_expr(playlists::Column::UpdatedAt, Expr::value(at))
            .filter(playlists::Column::Id.eq(id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("renaming a playlist")?;
        Ok(renamed.rows_affected == 1)
    }

    async fn delete(&self, id: PlaylistId) -> anyhow::Result<bool> {
        let deleted = playlists::Entity::delete_by_id(id.as_uuid())
            .exec(&self.connection)
            .await
            .context("deleting a playlist")?;
        Ok(deleted.rows_affected == 1)
    }

    async fn append(
        &self,
        id: PlaylistId,
        entries: &[PlaylistEntry],
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting to add to a playlist")?;
        // The playlist's row first (its lock), so that additions made at once take turns.
        if !self.touch(&transaction, id, at).await? {
            return Ok(false);
        }
        let last: Option<i32> = playlist_entries::Entity::find()
            .select_only()
            .column_as(playlist_entries::Column::Position.max(), "last")
            .filter(playlist_entries::Column::PlaylistId.eq(id.as_uuid()))
            .into_tuple::<Option<i32>>()
            .one(&transaction)
            .await
            .context("finding a playlist's end")?
            .flatten();
        let start = last.map_or(0, |last| last + 1);
        if !entries.is_empty() {
            playlist_entries::Entity::insert_many(entries.iter().enumerate().map(
                |(offset, entry)| {
                    let (track_id, provider_uri) = match &entry.item {
                        PlaylistItem::Library(track) => (Some(track.as_uuid()), None),
                        PlaylistItem::Provider(uri) => (None, Some(uri.as_str().to_owned())),
                    };
                    playlist_entries::ActiveModel {
                        id: Set(entry.id.as_uuid()),
                        playlist_id: Set(id.as_uuid()),
                        position: Set(start + i32::try_from(offset).unwrap_or(i32::MAX - start)),
                        track_id: Set(track_id),
                        provider_uri: Set(provider_uri),
                        added_at: Set(entry.added_at),
                    }
                },
            ))
            .exec_without_returning(&transaction)
            .await
            .context("adding to a playlist")?;
        }
        transaction.commit().await.context("adding to a playlist")?;
        Ok(true)
    }

    async fn remove_entry(
        &self,
        id: PlaylistId,
        entry: EntryId,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let removed = playlist_entries::Entity::delete_many()
            .filter(playlist_entries::Column::PlaylistId.eq(id.as_uuid()))
            .filter(playlist_entries::Column::Id.eq(entry.as_uuid()))
            .exec(&self.connection)
            .await
            .context("removing a playlist entry")?;
        if removed.rows_affected == 1 {
            self.touch(&self.connection, id, at).await?;
        }
        Ok(removed.rows_affected == 1)
    }

    async fn reorder(
        &self,
        id: PlaylistId,
        order: &[EntryId],
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        if order.is_empty() {
            return self.touch(&self.connection, id, at).await;
        }
        let mut positions = CaseStatement::new();
        for (position, entry) in order.iter().enumerate() {
            positions = positions.case(
                Expr::col(playlist_entries::Column::Id).eq(entry.as_uuid()),
                i32::try_from(position).unwrap_or(i32::MAX),
            );
        }
        let positions = positions.finally(Expr::col(playlist_entries::Column::Position));
        // One statement for the whole list, however long.
        playlist_entries::Entity::update_many()
            .col_expr(playlist_entries::Column::Position, positions.into())
            .filter(playlist_entries::Column::PlaylistId.eq(id.as_uuid()))
            .exec(&self.connection)
            .await
            .context("reordering a playlist")?;
        self.touch(&self.connection, id, at).await
    }
}
