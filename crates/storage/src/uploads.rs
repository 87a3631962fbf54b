//! People's uploads in the catalogue: their bytes summed, found by content, and stored under
//! the owner's row lock so that the quota and "one file per content" hold for uploads stored
//! at once, in every process.

use anyhow::Context as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, DatabaseConnection, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, TransactionTrait as _,
};
use soiree_kernel::UserId;
use soiree_library::{SavedUpload, Track, TrackSource};

use crate::entity::{library_tracks, users};

/// The bytes `owner` stores: their uploads and what their drive's downloads hold so far.
pub(crate) async fn uploaded_bytes(
    connection: &impl sea_orm::ConnectionTrait,
    owner: UserId,
) -> anyhow::Result<u64> {
    let total: Option<Option<i64>> = library_tracks::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"),
            "total",
        )
        .filter(library_tracks::Column::Source.eq(crate::library::UPLOAD))
        .filter(library_tracks::Column::OwnerId.eq(owner.as_uuid()))
        .into_tuple()
        .one(connection)
        .await
        .context("summing uploads")?;
    // Downloads into the person's drive count too, as their bytes are written.
    let downloaded: Option<Option<i64>> = crate::entity::drive_files::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(bytes), 0) AS BIGINT)"),
            "total",
        )
        .filter(crate::entity::drive_files::Column::UserId.eq(owner.as_uuid()))
        .into_tuple()
        .one(connection)
        .await
        .context("summing downloads")?;
    let sum = |total: Option<Option<i64>>| {
        total
            .flatten()
            .and_then(|total| u64::try_from(total).ok())
            .unwrap_or(0)
    };
    Ok(sum(total) + sum(downloaded))
}

pub(crate) async fn uploads_of(
    connection: &DatabaseConnection,
    owner: UserId,
) -> anyhow::Result<Vec<Track>> {
    let rows = library_tracks::Entity::find()
        .filter(library_tracks::Column::Source.eq(crate::library::UPLOAD))
        .filter(library_tracks::Column::OwnerId.eq(owner.as_uuid()))
        .order_by_desc(library_tracks::Column::AddedAt)
        .order_by_desc(library_tracks::Column::Id)
        .all(connection)
        .await
        .context("listing uploads")?;
    Ok(rows.into_iter().map(crate::library::track_of).collect())
}

async fn by_hash(
    connection: &impl sea_orm::ConnectionTrait,
    owner: UserId,
    content_hash: &str,
) -> anyhow::Result<Option<library_tracks::Model>> {
    library_tracks::Entity::find()
        .filter(library_tracks::Column::OwnerId.eq(owner.as_uuid()))
        .filter(library_tracks::Column::ContentHash.eq(content_hash))
        .one(connection)
        .await
        .context("finding an upload by its content")
}

pub(crate) async fn upload_by_hash(
    connection: &DatabaseConnection,
    owner: UserId,
    content_hash: &str,
) -> anyhow::Result<Option<Track>> {
    Ok(by_hash(connection, owner, content_hash)
        .await?
        .map(crate::library::track_of))
}

pub(crate) async fn save_upload(
    connection: &DatabaseConnection,
    track: &Track,
    limit: Option<u64>,
) -> anyhow::Result<SavedUpload> {
    let TrackSource::Upload {
        owner,
        content_hash,
        ..
    } = &track.source
    else {
        anyhow::bail!("save_upload takes uploads only");
    };
    let (owner, size) = (*owner, track.bytes());
    let transaction = connection
        .begin()
        .await
        .context("starting to store an upload")?;
    // The owner's row first: its lock on PostgreSQL, the write lock on SQLite, so that uploads
    // stored at once are decided one after another, in every process.
    users::Entity::update_many()
        .col_expr(users::Column::Id, Expr::col(users::Column::Id))
        .filter(users::Column::Id.eq(owner.as_uuid()))
        .exec(&transaction)
        .await
        .context("locking the owner for an upload")?;
    if let Some(kept) = by_hash(&transaction, owner, content_hash).await? {
        return Ok(SavedUpload::Duplicate(soiree_library::TrackId::from_uuid(
            kept.id,
        )));
    }
    if let Some(limit) = limit {
        let used = uploaded_bytes(&transaction, owner).await?;
        if used.saturating_add(size) > limit {
            return Ok(SavedUpload::OverQuota);
        }
    }
    library_tracks::Entity::insert(crate::library::row_of(track))
        .exec_without_returning(&transaction)
        .await
        .context("storing an upload")?;
    transaction.commit().await.context("storing an upload")?;
    Ok(SavedUpload::Saved)
}
