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
