//! Scratch PostgreSQL databases for tests (feature `testing`): one per test, so that parallel
//! tests and parallel CI runs never see each other's rows.

use anyhow::Context as _;
use uuid::Uuid;

use crate::Database;

/// A database created on the server named by an admin URL, to be dropped with [`Self::drop_database`].
#[derive(Debug)]
pub struct ScratchPostgres {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchPostgres {
    /// Creates an empty database named `{prefix}_{uuid}` on the server behind `admin_url`.
    pub async fn create(admin_url: &str, prefix: &str) -> anyhow::Result<Self> {
        let name = format!("{prefix}_{}", Uuid::now_v7().simple());
        let admin = Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        admin.close().await?;
        Ok(Self {
            url: with_database_name(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database, disconnecting whoever still uses it.
    pub async fn drop_database(self) -> anyhow::Result<()> {
        let admin = Database::connect(&self.admin_url).await?;
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await
            .with_context(|| format!("dropping the scratch database {}", self.name))?;
        admin.close().await
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

/// Everything in `tables` as text, the way a database dump would show it (for CR-1 tests).
pub async fn dump_tables(database: &Database, tables: &[&str]) -> anyhow::Result<String> {
    use sea_orm::{ConnectionTrait as _, Statement};
    let connection = &database.connection;
    let backend = connection.get_database_backend();
    let mut dump = String::new();
    for table in tables {
        let sql = match database.backend() {
            crate::Backend::Postgres => format!("SELECT t::text AS row FROM {table} t"),
            crate::Backend::Sqlite => {
                let columns = connection
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name FROM pragma_table_info('{table}')"),
                    ))
                    .await?
                    .iter()
                    .map(|row| row.try_get_by_index::<String>(0))
                    .collect::<Result<Vec<_>, _>>()?;
                let quoted: Vec<String> = columns
                    .iter()
                    .map(|column| format!("quote({column})"))
                    .collect();
                format!("SELECT {} AS row FROM {table}", quoted.join(" || ' ' || "))
            }
        };
        for row in connection
            .query_all_raw(Statement::from_string(backend, sql))
            .await?
        {
            dump.push_str(&row.try_get_by_index::<String>(0)?);
            dump.push('\n');
        }
    }
    Ok(dump)
}

#[cfg(test)]
mod tests {
    use super::with_database_name;

    #[test]
    fn database_names_are_replaced_and_queries_kept() {
        let cases = [
            (
                "postgres://root@127.0.0.1:5432/postgres",
                "postgres://root@127.0.0.1:5432/x",
            ),
            (
                "postgres://root@127.0.0.1:5432",
                "postgres://root@127.0.0.1:5432/x",
            ),
            (
                "postgres://root@db/postgres?sslmode=disable",
                "postgres://root@db/x?sslmode=disable",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_database_name(url, "x"), expected);
        }
    }
}
