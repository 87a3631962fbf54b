//! Track details over SeaORM: one row per track, whatever rooms and pages show it.

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, DatabaseConnection, EntityTrait as _, QueryFilter as _,
};
use soiree_kernel::{TrackInfo, TrackRef};
use soiree_voting::TrackDetails;

use crate::entity::track_details;

/// Track details in the database.
#[derive(Debug, Clone)]
pub struct SqlTrackStore {
    connection: DatabaseConnection,
}

impl SqlTrackStore {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }
}

fn info_from_row(row: track_details::Model) -> anyhow::Result<TrackInfo> {
    Ok(TrackInfo {
        track: TrackRef::parse(&row.track_uri).context("stored track")?,
        title: row.title,
        artists: serde_json::from_str(&row.artists).context("stored artists")?,
        album: row.album,
        artwork_url: row.artwork_url,
        duration_ms: u64::try_from(row.duration_ms).unwrap_or(0),
    })
}

#[async_trait]
impl TrackDetails for SqlTrackStore {
    async fn details(&self, tracks: &[TrackRef]) -> anyhow::Result<Vec<TrackInfo>> {
        if tracks.is_empty() {
            return Ok(Vec::new());
        }
        let rows = track_details::Entity::find()
            .filter(track_details::Column::TrackUri.is_in(tracks.iter().map(TrackRef::as_str)))
            .all(&self.connection)
            .await
            .context("loading track details")?;
        rows.into_iter().map(info_from_row).collect()
    }

    async fn remember(&self, details: &[TrackInfo]) -> anyhow::Result<()> {
        let mut rows = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for info in details.iter().rev() {
            // One row per track in one statement (PostgreSQL refuses to update a row twice).
            if !seen.insert(info.track.clone()) {
                continue;
            }
            rows.push(track_details::ActiveModel {
                track_uri: Set(info.track.as_str().to_owned()),
                title: Set(info.title.clone()),
                artists: Set(serde_json::to_string(&info.artists).context("writing artists")?),
                album: Set(info.album.clone()),
                artwork_url: Set(info.artwork_url.clone()),
                duration_ms: Set(i64::try_from(info.duration_ms).unwrap_or(i64::MAX)),
                updated_at: Set(chrono::Utc::now()),
            });
        }
        if rows.is_empty() {
            return Ok(());
        }
        track_details::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(track_details::Column::TrackUri)
                    .update_columns([
                        track_details::Column::Title,
                        track_details::Column::Artists,
                        track_details::Column::Album,
                        track_details::Column::ArtworkUrl,
                        track_details::Column::DurationMs,
                        track_details::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.connection)
            .await
            .context("storing track details")?;
        Ok(())
    }
}
