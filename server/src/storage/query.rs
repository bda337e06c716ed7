//! One statement with its arguments, run by either backend.
//!
//! The SQL of [`super::sql`] is written once with numbered `$n`
//! parameters; a [`Query`] carries it and its arguments to an [`Exec`]: the
//! PostgreSQL transaction binds them into sqlx, the SQLite one runs the
//! statement inline through rusqlite (no hand-off to a worker thread).

use std::future::Future;

use super::StoreResult;

/// One argument. Typed even when `NULL`, as PostgreSQL wants.
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    /// `BIGINT` / `INTEGER`.
    Int(Option<i64>),
    /// `TEXT`.
    Text(Option<&'a str>),
    /// `BYTEA` / `BLOB`.
    Blob(Option<&'a [u8]>),
}

/// A statement and its arguments, `$1` first.
pub struct Query<'a> {
    /// The SQL.
    pub sql: &'a str,
    /// Its arguments in `$n` order.
    pub args: Vec<Arg<'a>>,
}

/// A statement to run.
pub fn query(sql: &str) -> Query<'_> {
    Query {
        sql,
        args: Vec::new(),
    }
}

/// What a statement changed.
pub struct Done(pub u64);

impl Done {
    /// Rows inserted, updated or deleted.
    pub fn rows_affected(&self) -> u64 {
        self.0
    }
}

/// A value that binds as one argument.
pub trait IntoArg<'a> {
    /// The argument.
    fn into_arg(self) -> Arg<'a>;
}

impl<'a> IntoArg<'a> for i64 {
    fn into_arg(self) -> Arg<'a> {
        Arg::Int(Some(self))
    }
}

impl<'a> IntoArg<'a> for Option<i64> {
    fn into_arg(self) -> Arg<'a> {
        Arg::Int(self)
    }
}

impl<'a> IntoArg<'a> for &'a str {
    fn into_arg(self) -> Arg<'a> {
        Arg::Text(Some(self))
    }
}

impl<'a> IntoArg<'a> for &'a String {
    fn into_arg(self) -> Arg<'a> {
        Arg::Text(Some(self))
    }
}

impl<'a> IntoArg<'a> for &'a Option<String> {
    fn into_arg(self) -> Arg<'a> {
        Arg::Text(self.as_deref())
    }
}

impl<'a> IntoArg<'a> for Option<&'a str> {
    fn into_arg(self) -> Arg<'a> {
        Arg::Text(self)
    }
}

impl<'a> IntoArg<'a> for &'a [u8] {
    fn into_arg(self) -> Arg<'a> {
        Arg::Blob(Some(self))
    }
}

impl<'a> IntoArg<'a> for &'a Vec<u8> {
    fn into_arg(self) -> Arg<'a> {
        Arg::Blob(Some(self))
    }
}

impl<'a> IntoArg<'a> for &'a Option<Vec<u8>> {
    fn into_arg(self) -> Arg<'a> {
        Arg::Blob(self.as_deref())
    }
}

impl<'a> IntoArg<'a> for Option<&'a [u8]> {
    fn into_arg(self) -> Arg<'a> {
        Arg::Blob(self)
    }
}

impl<'a> Query<'a> {
    /// Appends the next argument.
    pub fn bind(mut self, value: impl IntoArg<'a>) -> Self {
        self.args.push(value.into_arg());
        self
    }

    /// Runs it; the rows it changed. A unique violation is
    /// [`super::StoreError::Conflict`].
    pub async fn execute<E: Exec>(self, on: &mut E) -> StoreResult<Done> {
        on.execute(self).await
    }

    /// Runs it; its first row, if any.
    pub async fn fetch_optional<E: Exec>(self, on: &mut E) -> StoreResult<Option<E::Row>> {
        on.fetch_optional(self).await
    }

    /// Runs it; its first row, which must exist.
    pub async fn fetch_one<E: Exec>(self, on: &mut E) -> StoreResult<E::Row> {
        on.fetch_optional(self)
            .await?
            .ok_or_else(|| super::StoreError::Corrupt("expected a row, found none".into()))
    }

    /// Runs it; all its rows.
    pub async fn fetch_all<E: Exec>(self, on: &mut E) -> StoreResult<Vec<E::Row>> {
        on.fetch_all(self).await
    }
}

/// Something that runs statements: a transaction of either backend.
pub trait Exec: Send {
    /// A result row.
    type Row: Send;
    /// Runs a statement; the rows it changed.
    fn execute(&mut self, q: Query<'_>) -> impl Future<Output = StoreResult<Done>> + Send;
    /// Runs a query; its first row.
    fn fetch_optional(
        &mut self,
        q: Query<'_>,
    ) -> impl Future<Output = StoreResult<Option<Self::Row>>> + Send;
    /// Runs a query; all rows.
    fn fetch_all(
        &mut self,
        q: Query<'_>,
    ) -> impl Future<Output = StoreResult<Vec<Self::Row>>> + Send;
}
