//! Databases for storage tests: a fresh SQLite file always, and a fresh PostgreSQL database when
//! `SOIREE_TEST_POSTGRES_URL` names a server. A skipped backend is announced on the terminal
//! (bypassing the test harness's capture), and is a failure when `CI` is set.

use std::io::Write as _;

use soiree_storage::Database;

/// One migrated, empty database, removed again by [`TestDatabase::finish`].
pub(crate) struct TestDatabase {
    pub(crate) database: Database,
    pub(crate) backend: &'static str,
    postgres_cleanup: Option<(String, String)>,
    _directory: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// Closes the pool and drops the PostgreSQL database.
    pub(crate) async fn finish(self) {
        let _ = self.database.close().await;
        if let Some((admin_url, name)) = self.postgres_cleanup {
            let admin = Database::connect(&admin_url)
                .await
                .expect("reconnecting to drop the test database");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .expect("dropping the test database");
            let _ = admin.close().await;
        }
    }
}

/// Every backend this run can test, each migrated and empty.
pub(crate) async fn test_databases() -> Vec<TestDatabase> {
    let mut databases = vec![sqlite().await];
    match std::env::var("SOIREE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => databases.push(postgres(&url).await),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must test PostgreSQL too: set SOIREE_TEST_POSTGRES_URL (see .ci/run)"
            );
            let _ = writeln!(
                std::io::stderr(),
                "note: PostgreSQL storage tests skipped: SOIREE_TEST_POSTGRES_URL is not set"
            );
        }
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
        postgres_cleanup: None,
        _directory: Some(directory),
    }
}

async fn postgres(admin_url: &str) -> TestDatabase {
    let name = format!("soiree_test_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(admin_url)
        .await
        .expect("connecting to SOIREE_TEST_POSTGRES_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("creating a PostgreSQL test database");
    let _ = admin.close().await;
    let database = Database::connect(&with_database_name(admin_url, &name))
        .await
        .expect("opening the test database");
    database.migrate().await.expect("migrating PostgreSQL");
    TestDatabase {
        database,
        backend: "postgres",
        postgres_cleanup: Some((admin_url.to_owned(), name)),
        _directory: None,
    }
}

/// `postgres://user@host:5432/postgres?x=y` with its database name replaced.
fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let authority_start = base.find("://").map_or(0, |index| index + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}
