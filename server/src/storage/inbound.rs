//! Storage of inbound second factors: assigned addresses and numbers,
//! received codes (sealed), and webhook ids accepted once. Reached from any
//! [`Tx`](super::Tx) through [`Tx::inbound`](super::Tx::inbound).

use async_trait::async_trait;

use super::StoreResult;

/// A received code or link, sealed under the inbound key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundCodeRow {
    /// `tfa_…`.
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// The credential; `None` for a text held as ambiguous.
    pub item_id: Option<String>,
    /// For a held text: the pool number it came to.
    pub number: Option<String>,
    /// `email` or `sms`.
    pub channel: String,
    /// `nonce | AES-GCM(inbound key, {"code","link"}, aad)`.
    pub sealed: Vec<u8>,
    /// Receipt time (seconds).
    pub received_at: i64,
    /// Receipt time (microseconds, orders codes of one second).
    pub received_us: i64,
    /// Deleted after this.
    pub expires_at: i64,
}

/// Inbound reads and writes inside a transaction.
#[async_trait]
pub trait InboundTx: Send {
    /// The `(user, item)` an inbound address belongs to.
    async fn address_owner(&mut self, address: &str) -> StoreResult<Option<(String, String)>>;
    /// Records an item's address; false when the address is taken.
    async fn insert_address(
        &mut self,
        address: &str,
        user_id: &str,
        item_id: &str,
    ) -> StoreResult<bool>;
    /// Forgets an item's address.
    async fn delete_address(&mut self, user_id: &str, item_id: &str) -> StoreResult<()>;
    /// The pool number a user holds.
    async fn user_number(&mut self, user_id: &str) -> StoreResult<Option<String>>;
    /// The user holding a pool number.
    async fn number_owner(&mut self, number: &str) -> StoreResult<Option<String>>;
    /// Gives a free number to a user; false when someone holds it.
    async fn claim_number(&mut self, number: &str, user_id: &str, at: i64) -> StoreResult<bool>;
    /// Returns a user's number to the pool.
    async fn release_number(&mut self, number: &str, user_id: &str) -> StoreResult<()>;
    /// Records a webhook message id; false when it was seen before.
    async fn mark_seen(&mut self, source: &str, message_id: &str, at: i64) -> StoreResult<bool>;
    /// Stores a received code.
    async fn insert_code(&mut self, row: &InboundCodeRow) -> StoreResult<()>;
    /// An item's unexpired codes received at or after `since`, newest first.
    async fn codes(
        &mut self,
        user_id: &str,
        item_id: &str,
        since: i64,
        now: i64,
    ) -> StoreResult<Vec<InboundCodeRow>>;
    /// Deletes a code; false when another transaction took it first.
    async fn take_code(&mut self, id: &str) -> StoreResult<bool>;
    /// Whether an unexpired text to `number` of this user is held,
    /// received at or after `since`.
    async fn held_since(
        &mut self,
        user_id: &str,
        number: &str,
        since: i64,
        now: i64,
    ) -> StoreResult<bool>;
    /// Deletes an item's codes (the credential is gone).
    async fn delete_item_codes(&mut self, user_id: &str, item_id: &str) -> StoreResult<()>;
    /// Deletes codes expired at `now` and ids seen before `seen_before`.
    async fn sweep_inbound(&mut self, now: i64, seen_before: i64) -> StoreResult<u64>;
}

macro_rules! inbound_sql {
    ($tx:ident) => {
        #[async_trait]
        impl $crate::storage::InboundTx for $tx {
            async fn address_owner(&mut self, address: &str) -> StoreResult<Option<(String, String)>> {
                let row = query("SELECT user_id, item_id FROM inbound_addresses WHERE address = $1")
                    .bind(address)
                    .fetch_optional(self)
                    .await?;
                row.map(|r| Ok((r.try_get("user_id")?, r.try_get("item_id")?))).transpose()
            }

            async fn insert_address(&mut self, address: &str, user_id: &str, item_id: &str) -> StoreResult<bool> {
                let done = query(
                    "INSERT INTO inbound_addresses (address, user_id, item_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(address)
                .bind(user_id)
                .bind(item_id)
                .execute(self)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_address(&mut self, user_id: &str, item_id: &str) -> StoreResult<()> {
                query("DELETE FROM inbound_addresses WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn user_number(&mut self, user_id: &str) -> StoreResult<Option<String>> {
                let row = query("SELECT number FROM sms_numbers WHERE user_id = $1 ORDER BY number LIMIT 1")
                    .bind(user_id)
                    .fetch_optional(self)
                    .await?;
                Ok(row.map(|r| r.try_get("number")).transpose()?)
            }

            async fn number_owner(&mut self, number: &str) -> StoreResult<Option<String>> {
                let row = query("SELECT user_id FROM sms_numbers WHERE number = $1")
                    .bind(number)
                    .fetch_optional(self)
                    .await?;
                Ok(row.map(|r| r.try_get("user_id")).transpose()?)
            }

            async fn claim_number(&mut self, number: &str, user_id: &str, at: i64) -> StoreResult<bool> {
                let done = query(
                    "INSERT INTO sms_numbers (number, user_id, assigned_at) VALUES ($1, $2, $3) ON CONFLICT (number) DO NOTHING",
                )
                .bind(number)
                .bind(user_id)
                .bind(at)
                .execute(self)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_number(&mut self, number: &str, user_id: &str) -> StoreResult<()> {
                query("DELETE FROM sms_numbers WHERE number = $1 AND user_id = $2")
                    .bind(number)
                    .bind(user_id)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn mark_seen(&mut self, source: &str, message_id: &str, at: i64) -> StoreResult<bool> {
                let done = query(
                    "INSERT INTO inbound_seen (source, message_id, seen_at) VALUES ($1, $2, $3) ON CONFLICT (source, message_id) DO NOTHING",
                )
                .bind(source)
                .bind(message_id)
                .bind(at)
                .execute(self)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_code(&mut self, c: &$crate::storage::InboundCodeRow) -> StoreResult<()> {
                query(
                    "INSERT INTO inbound_codes (id, user_id, item_id, number, channel, sealed, received_at, received_us, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&c.id)
                .bind(&c.user_id)
                .bind(&c.item_id)
                .bind(&c.number)
                .bind(&c.channel)
                .bind(&c.sealed)
                .bind(c.received_at)
                .bind(c.received_us)
                .bind(c.expires_at)
                .execute(self)
                .await?;
                Ok(())
            }

            async fn codes(&mut self, user_id: &str, item_id: &str, since: i64, now: i64) -> StoreResult<Vec<$crate::storage::InboundCodeRow>> {
                let rows = query(
                    "SELECT id, user_id, item_id, number, channel, sealed, received_at, received_us, expires_at FROM inbound_codes \
                     WHERE user_id = $1 AND item_id = $2 AND received_at >= $3 AND expires_at > $4 ORDER BY received_us DESC",
                )
                .bind(user_id)
                .bind(item_id)
                .bind(since)
                .bind(now)
                .fetch_all(self)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::storage::InboundCodeRow {
                            id: r.try_get("id")?,
                            user_id: r.try_get("user_id")?,
                            item_id: r.try_get("item_id")?,
                            number: r.try_get("number")?,
                            channel: r.try_get("channel")?,
                            sealed: r.try_get("sealed")?,
                            received_at: r.try_get("received_at")?,
                            received_us: r.try_get("received_us")?,
                            expires_at: r.try_get("expires_at")?,
                        })
                    })
                    .collect()
            }

            async fn take_code(&mut self, id: &str) -> StoreResult<bool> {
                let done = query("DELETE FROM inbound_codes WHERE id = $1")
                    .bind(id)
                    .execute(self)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn held_since(&mut self, user_id: &str, number: &str, since: i64, now: i64) -> StoreResult<bool> {
                let row = query(
                    "SELECT id FROM inbound_codes WHERE user_id = $1 AND item_id IS NULL AND number = $2 \
                     AND received_at >= $3 AND expires_at > $4 LIMIT 1",
                )
                .bind(user_id)
                .bind(number)
                .bind(since)
                .bind(now)
                .fetch_optional(self)
                .await?;
                Ok(row.is_some())
            }

            async fn delete_item_codes(&mut self, user_id: &str, item_id: &str) -> StoreResult<()> {
                query("DELETE FROM inbound_codes WHERE user_id = $1 AND item_id = $2")
                    .bind(user_id)
                    .bind(item_id)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn sweep_inbound(&mut self, now: i64, seen_before: i64) -> StoreResult<u64> {
                let codes = query("DELETE FROM inbound_codes WHERE expires_at <= $1")
                    .bind(now)
                    .execute(self)
                    .await?;
                query("DELETE FROM inbound_seen WHERE seen_at < $1")
                    .bind(seen_before)
                    .execute(self)
                    .await?;
                Ok(codes.rows_affected())
            }
        }
    };
}

pub(super) use inbound_sql;
