//! Opening the database and applying migrations.

use std::time::Duration;

use anyhow::Context as _;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseBackend, DatabaseConnection};
use sea_orm_migration::MigratorTrait as _;
use soiree_migration::Migrator;

use std::sync::{Arc, OnceLock};

use crate::changes::Announcer;
use crate::connections::SqlConnectionStore;
use crate::rooms::SqlRoomStore;
use crate::sealing::Sealer;
use crate::users::SqlUserStore;

/// Which database a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// For several processes sharing one database.
    Postgres,
}

/// A pool of connections to Soirée's database.
#[derive(Debug, Clone)]
pub struct Database {
    pub(crate) connection: DatabaseConnection,
    /// One connection of its own for the ballot writer, so that its page cache and prepared
    /// statements stay warm from one group of ballots to the next.
    writer: DatabaseConnection,
    /// The SQLite file, which the ballot writer opens directly.
    sqlite_file: Option<std::path::PathBuf>,
    pub(crate) announcer: Announcer,
    /// One room store per database, so that every ballot goes through the same writer.
    rooms: Arc<OnceLock<SqlRoomStore>>,
}

/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections to SQLite. WAL lets readers work beside the one writer; sea-orm's default for
/// SQLite is a single connection, which made every request wait for every other.
const SQLITE_CONNECTIONS: u32 = 8;
/// Prepared statements kept per connection. Ballots are written with multi-row statements whose
/// text depends on the number of rows; sqlx's default of 100 would prepare them again and again.
const STATEMENT_CACHE: usize = 1024;

impl Database {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://...`).
    ///
    /// SQLite is opened in WAL mode (readers do not block the writer) with several connections,
    /// foreign keys enforced and a busy timeout so that concurrent writers wait rather than fail.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // The pool retries a failing connection until its timeout and then says only "pool
            // timed out"; one direct attempt first fails fast and says why.
            check_postgres(url).await?;
        }
        let pool_size = url.starts_with("sqlite:").then_some(SQLITE_CONNECTIONS);
        let connection = open(url, pool_size, true).await?;
        let writer = open(url, Some(1), false).await?;
        let backend = backend_of(&connection);
        Ok(Self {
            connection,
            writer,
            sqlite_file: crate::rooms::sqlite_file(url),
            announcer: Announcer::new(backend),
            rooms: Arc::default(),
        })
    }

    /// Applies every migration not applied yet. Safe to run on every start.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.connection, None)
            .await
            .context("applying database migrations")
    }

    /// Whether the database takes writes (for readiness checks): a write statement that changes
    /// nothing, in a transaction rolled back. A database file or directory made read-only, a
    /// full disk, or a PostgreSQL in read-only mode (a standby) fail it, where a ping would pass.
    pub async fn check_writable(&self) -> anyhow::Result<()> {
        use sea_orm::TransactionTrait as _;
        let transaction = self
            .connection
            .begin()
            .await
            .context("starting a transaction")?;
        transaction
            .execute_unprepared("UPDATE users SET id = id WHERE 1 = 0")
            .await
            .context("writing to the database")?;
        transaction
            .rollback()
            .await
            .context("rolling the check back")
    }

    /// The backend behind this pool.
    pub fn backend(&self) -> Backend {
        backend_of(&self.connection)
    }

    /// The accounts, sessions and login-failure repositories.
    pub fn users(&self) -> SqlUserStore {
        SqlUserStore::new(self.connection.clone(), self.announcer.clone())
    }

    /// Provider connections, with secrets sealed by `sealer`.
    pub fn connections(&self, sealer: Arc<Sealer>) -> SqlConnectionStore {
        SqlConnectionStore::new(self.connection.clone(), self.backend(), sealer)
    }

    /// Rooms, votes, the event log and player leases.
    pub fn rooms(&self) -> SqlRoomStore {
        self.rooms
            .get_or_init(|| {
                SqlRoomStore::new(
                    self.connection.clone(),
                    self.writer.clone(),
                    self.announcer.clone(),
                    self.sqlite_file.clone(),
                )
            })
            .clone()
    }

    /// What is known of tracks (titles, artists, artwork).
    pub fn tracks(&self) -> crate::tracks::SqlTrackStore {
        crate::tracks::SqlTrackStore::new(self.connection.clone())
    }

    /// Rate-limit counters shared by every process on this database.
    pub fn rate_counter(&self) -> crate::rate::SqlRateCounter {
        crate::rate::SqlRateCounter::new(self.connection.clone())
    }

    /// Accounts' tiers, overrides and the record of their changes.
    pub fn tiers(&self) -> crate::tiers::SqlTierBook {
        crate::tiers::SqlTierBook::new(self.connection.clone())
    }

    /// What the operator's reports read.
    pub fn reports(&self) -> crate::reports::SqlUsageReports {
        crate::reports::SqlUsageReports::new(self.connection.clone())
    }

    /// The library's catalogue.
    pub fn library(&self) -> crate::library::SqlLibraryStore {
        crate::library::SqlLibraryStore::new(self.connection.clone())
    }

    /// The liked-track sync: states, runs and likes.
    pub fn sync(&self) -> crate::sync::SqlSyncStore {
        crate::sync::SqlSyncStore::new(self.connection.clone())
    }

    /// Insights and recommendations: what people did with tracks, and their switches.
    pub fn insights(&self) -> crate::insights::SqlInsightsStore {
        crate::insights::SqlInsightsStore::new(self.connection.clone())
    }

    /// People's stars, plays and what they play now.
    pub fn listening(&self) -> crate::browse::SqlListeningStore {
        crate::browse::SqlListeningStore::new(self.connection.clone())
    }

    /// People's playlists.
    pub fn playlists(&self) -> crate::playlists::SqlPlaylistStore {
        crate::playlists::SqlPlaylistStore::new(self.connection.clone())
    }

    /// Scheduled jobs' claims and housekeeping.
    pub fn jobs(&self) -> crate::jobs::SqlJobs {
        crate::jobs::SqlJobs::new(self.connection.clone())
    }

    /// Closes every connection (at shutdown, or before dropping a test database).
    pub async fn close(self) -> anyhow::Result<()> {
        self.writer
            .close()
            .await
            .context("closing the database's writer")?;
        self.connection
            .close()
            .await
            .context("closing the database")
    }

    /// Runs one SQL statement that returns no rows (administrative work such as creating a test
    /// database). Not for application queries: those belong in a repository.
    pub async fn execute_unprepared(&self, sql: &str) -> anyhow::Result<()> {
        self.connection
            .execute_unprepared(sql)
            .await
            .map(|_| ())
            .context("running an administrative statement")
    }
}

/// A pool of `size` connections (sea-orm's default when `None`). With `check_on_acquire`, each
/// connection is pinged before it is handed out; the ballot writer skips that round trip (a
/// broken connection fails its statement, and the pool replaces it).
async fn open(
    url: &str,
    size: Option<u32>,
    check_on_acquire: bool,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    if let Some(size) = size {
        options.max_connections(size);
    }
    options
        .test_before_acquire(check_on_acquire)
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .statement_cache_capacity(STATEMENT_CACHE)
        })
        .map_sqlx_postgres_opts(|postgres| postgres.statement_cache_capacity(STATEMENT_CACHE));
    sea_orm::Database::connect(options)
        .await
        .with_context(|| format!("connecting to the database at {}", redact_url(url)))
}

/// How long the first connection to PostgreSQL may take before start-up gives up.
const POSTGRES_FIRST_CONNECTION: Duration = Duration::from_secs(5);

/// One connection to PostgreSQL, made and closed, with the reason in words if it fails.
async fn check_postgres(url: &str) -> anyhow::Result<()> {
    use sea_orm::sqlx::Connection as _;
    use std::str::FromStr as _;
    let shown = redact_url(url);
    let options = sea_orm::sqlx::postgres::PgConnectOptions::from_str(url)
        .with_context(|| format!("the database URL {shown} is not a PostgreSQL URL (postgres://user:password@host:port/database)"))?;
    let address = format!("{}:{}", options.get_host(), options.get_port());
    let attempt = tokio::time::timeout(
        POSTGRES_FIRST_CONNECTION,
        sea_orm::sqlx::PgConnection::connect_with(&options),
    )
    .await;
    let error = match attempt {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            return Ok(());
        }
        Ok(Err(error)) => error,
        Err(_) => anyhow::bail!(
            "PostgreSQL at {address} did not answer within {} s ({shown}): check that the host and port are right and that no firewall drops the connection",
            POSTGRES_FIRST_CONNECTION.as_secs()
        ),
    };
    Err(anyhow::anyhow!(postgres_failure(&error, &address, &shown)))
}

/// Why a connection to PostgreSQL failed, and what to change.
fn postgres_failure(error: &sea_orm::sqlx::Error, address: &str, shown: &str) -> String {
    use sea_orm::sqlx::Error;
    match error {
        Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => format!(
            "PostgreSQL refused the connection at {address} ({shown}): is it running, and listening on that address and port?"
        ),
        Error::Io(io)
            if io.to_string().contains("lookup")
                || io.to_string().contains("resolve")
                || io.to_string().contains("Name or service") =>
        {
            format!("the database host in {shown} is unknown ({io}): check its spelling")
        }
        Error::Database(database) => match database.code().as_deref() {
            Some("28P01" | "28000") => format!(
                "PostgreSQL at {address} refused the user or password in {shown} ({}): check them in SOIREE_DATABASE_URL",
                database.message()
            ),
            Some("3D000") => format!(
                "PostgreSQL at {address} has no such database ({}): create it (createdb) or fix the name in {shown}",
                database.message()
            ),
            _ => format!(
                "PostgreSQL at {address} refused the connection: {}",
                database.message()
            ),
        },
        other => format!("connecting to PostgreSQL at {address} ({shown}) failed: {other}"),
    }
}

fn backend_of(connection: &DatabaseConnection) -> Backend {
    match connection.get_database_backend() {
        DatabaseBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// The URL without its password, for error messages and logs.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_passwords_never_reach_messages() {
        let cases = [
            (
                "postgres://soiree:hunter2@db:5432/soiree",
                "postgres://soiree:***@db:5432/soiree",
            ),
            ("postgres://soiree@db/soiree", "postgres://soiree@db/soiree"),
            (
                "sqlite://./data/soiree.db?mode=rwc",
                "sqlite://./data/soiree.db?mode=rwc",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(redact_url(url), expected);
        }
    }
}
