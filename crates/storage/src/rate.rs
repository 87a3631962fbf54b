//! Rate-limit counters in the database, so that every process sharing it spends one budget.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use sea_orm::{ConnectionTrait as _, DatabaseBackend, DatabaseConnection, Statement};
use soiree_tiers::{RateCounter, RateKey};

/// How often ended windows are cleared (by whichever hit comes first after that).
const CLEAR_EVERY_SECONDS: i64 = 60;

/// Counts hits with one atomic upsert each: the database serialises hits on one row, whichever
/// process makes them.
#[derive(Debug)]
pub struct SqlRateCounter {
    connection: DatabaseConnection,
    last_cleared: AtomicI64,
}

impl SqlRateCounter {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self {
            connection,
            last_cleared: AtomicI64::new(0),
        }
    }

    /// Forgets windows that ended before `now` (seconds since the epoch), at most once a
    /// minute per process.
    async fn clear_ended(&self, now: i64) -> anyhow::Result<()> {
        let last = self.last_cleared.load(Ordering::Relaxed);
        if now - last < CLEAR_EVERY_SECONDS
            || self
                .last_cleared
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(());
        }
        clear_ended_windows(&self.connection, now).await?;
        Ok(())
    }
}

/// Deletes the windows that ended at or before `now` (seconds since the epoch); how many.
pub(crate) async fn clear_ended_windows(
    connection: &DatabaseConnection,
    now: i64,
) -> anyhow::Result<u64> {
    let backend = connection.get_database_backend();
    let result = connection
        .execute_raw(Statement::from_sql_and_values(
            backend,
            placeholders(backend, "DELETE FROM rate_counters WHERE ends_at <= $1"),
            [now.into()],
        ))
        .await
        .context("clearing ended rate windows")?;
    Ok(result.rows_affected())
}

/// `sql` with PostgreSQL's `$n` placeholders, written as SQLite wants them (`?n`).
fn placeholders(backend: DatabaseBackend, sql: &str) -> String {
    match backend {
        DatabaseBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    }
}

#[async_trait]
impl RateCounter for SqlRateCounter {
    async fn hit(&self, key: &RateKey, window_start: i64, window: Duration) -> anyhow::Result<u64> {
        let ends_at =
            window_start.saturating_add(i64::try_from(window.as_secs()).unwrap_or(i64::MAX));
        let backend = self.connection.get_database_backend();
        let row = self
            .connection
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                placeholders(
                    backend,
                    "INSERT INTO rate_counters (key, window_start, hits, ends_at) \
                     VALUES ($1, $2, 1, $3) \
                     ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_counters.hits + 1 \
                     RETURNING hits",
                ),
                [key.as_str().into(), window_start.into(), ends_at.into()],
            ))
            .await
            .context("counting a request")?
            .context("the count of a request")?;
        let hits: i64 = row.try_get("", "hits").context("reading a count")?;
        self.clear_ended(window_start).await?;
        Ok(u64::try_from(hits).unwrap_or(0))
    }
}
