//! Databases for storage tests: a fresh SQLite file always, and a fresh PostgreSQL database when
//! `SOIREE_TEST_POSTGRES_URL` names a server. A skipped backend is announced on the terminal
//! (bypassing the test harness's capture), and is a failure when `CI` is set.

use soiree_storage::Database;
use soiree_storage::testing::ScratchPostgres;

/// One migrated, empty database, removed again by [`TestDatabase::finish`].
pub(crate) struct TestDatabase {
    pub(crate) database: Database,
    pub(crate) backend: &'static str,
    url: String,
    postgres: Option<ScratchPostgres>,
    _directory: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// The URL of this database (for opening a second pool, as a second instance would).
    #[allow(dead_code)] // Used by some test binaries only.
    pub(crate) fn database_url(&self) -> &str {
        &self.url
    }

    /// Closes the pool and drops the PostgreSQL database.
    pub(crate) async fn finish(self) {
        let _ = self.database.close().await;
        if let Some(postgres) = self.postgres {
            postgres
                .drop_database()
                .await
                .expect("dropping the test database");
        }
    }
}

/// Every backend this run can test, each migrated and empty.
pub(crate) async fn test_databases() -> Vec<TestDatabase> {
    let mut databases = vec![sqlite().await];
    match std::env::var("SOIREE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            databases.push(postgres(&url).await);
            soiree_test_tally::ran(soiree_test_tally::Backend::Postgres);
        }
        _ => soiree_test_tally::skipped(
            soiree_test_tally::Backend::Postgres,
            "a storage test",
            "set SOIREE_TEST_POSTGRES_URL (see .ci/run)",
        ),
    }
    databases
}

async fn sqlite() -> TestDatabase {
    let directory = tempfile::tempdir().expect("creating a temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        directory.path().join("soiree.db").display()
    );
    let database = Database::connect(&url).await.expect("opening SQLite");
    database.migrate().await.expect("migrating SQLite");
    TestDatabase {
        database,
        backend: "sqlite",
        url,
        postgres: None,
        _directory: Some(directory),
    }
}

async fn postgres(admin_url: &str) -> TestDatabase {
    let scratch = ScratchPostgres::create(admin_url, "soiree_test")
        .await
        .expect("creating a PostgreSQL test database");
    let database = Database::connect(scratch.url())
        .await
        .expect("opening the test database");
    database.migrate().await.expect("migrating PostgreSQL");
    TestDatabase {
        database,
        backend: "postgres",
        url: scratch.url().to_owned(),
        postgres: Some(scratch),
        _directory: None,
    }
}

/// A Free account named `name` (no password anyone knows), for tests that need an owner.
#[allow(dead_code)] // Used by some test binaries only.
pub(crate) async fn account(database: &Database, name: &str) -> soiree_kernel::UserId {
    use soiree_users::UserRepository as _;
    let id = soiree_kernel::UserId::generate();
    let stored = soiree_users::StoredUser {
        user: soiree_users::User {
            id,
            username: soiree_users::Username::parse(name).expect("a valid username"),
            email: None,
            profile: soiree_users::Profile::default(),
            tier: soiree_kernel::Tier::Free,
            operator: false,
            created_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("a time"),
        },
        password_hash: soiree_users::PasswordHash::from_phc("$fake".into()),
    };
    database
        .users()
        .insert_user(&stored)
        .await
        .expect("storing an account");
    id
}
