//! Versioned migrations, embedded from `server/migrations/{sqlite,postgres}/`.
//! Each file is `NNNN_description.sql`; a new change is a new file, never an
//! edit of an applied one (sqlx checks their checksums). Versions need not
//! be contiguous: sqlx applies every listed version not yet applied, in
//! order, so a gap (0003 added on another branch) is filled in later.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

/// `(version, description, sql)` of every SQLite migration.
const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "live items",
        include_str!("../../migrations/sqlite/0002_live_items.sql"),
    ),
    (
        3,
        "session state",
        include_str!("../../migrations/sqlite/0003_session_state.sql"),
    ),
    (
        4,
        "proxies",
        include_str!("../../migrations/sqlite/0004_proxies.sql"),
    ),
    (
        5,
        "inbound",
        include_str!("../../migrations/sqlite/0005_inbound.sql"),
    ),
    (
        6,
        "salts without rowid",
        include_str!("../../migrations/sqlite/0006_salts_without_rowid.sql"),
    ),
];

/// `(version, description, sql)` of every PostgreSQL migration.
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "live items",
        include_str!("../../migrations/postgres/0002_live_items.sql"),
    ),
    (
        3,
        "session state",
        include_str!("../../migrations/postgres/0003_session_state.sql"),
    ),
    (
        4,
        "proxies",
        include_str!("../../migrations/postgres/0004_proxies.sql"),
    ),
    (
        5,
        "inbound",
        include_str!("../../migrations/postgres/0005_inbound.sql"),
    ),
];

fn migrator(files: &[(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = files
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

/// Runs the pending migrations of `backend` (`sqlite` or `postgres`).
pub async fn run<'a, A>(backend: &str, pool: A) -> Result<(), sqlx::migrate::MigrateError>
where
    A: sqlx::Acquire<'a>,
    <A::Connection as std::ops::Deref>::Target: sqlx::migrate::Migrate,
{
    let files = if backend == "postgres" {
        POSTGRES
    } else {
        SQLITE
    };
    migrator(files).run(pool).await
}

#[cfg(test)]
mod tests {
    use sqlx::Row;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    use super::*;

    /// A database at version 5 keeps its salts through the rebuild of
    /// `seen_salts` as a WITHOUT ROWID table.
    #[tokio::test]
    async fn salts_survive_the_move_to_a_without_rowid_table() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("m.db"))
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        migrator(&SQLITE[..5]).run(&pool).await.unwrap();
        sqlx::query("INSERT INTO seen_salts (key_id, salt) VALUES (x'01', x'02'), (x'01', x'03')")
            .execute(&pool)
            .await
            .unwrap();
        run("sqlite", &pool).await.unwrap();
        let salts: Vec<Vec<u8>> = sqlx::query("SELECT salt FROM seen_salts ORDER BY salt")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(salts, vec![vec![2u8], vec![3u8]]);
        let sql: String = sqlx::query("SELECT sql FROM sqlite_master WHERE name = 'seen_salts'")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        assert!(sql.contains("WITHOUT ROWID"), "{sql}");
        let again = sqlx::query("INSERT INTO seen_salts (key_id, salt) VALUES (x'01', x'02')")
            .execute(&pool)
            .await;
        assert!(again.is_err(), "the primary key still refuses a reuse");
    }
}
