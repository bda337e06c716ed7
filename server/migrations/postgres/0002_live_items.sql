-- Live items per user, kept by ingest and delete in their transactions, so
-- the items-per-user limit is checked without counting rows.
ALTER TABLE users ADD COLUMN live_items BIGINT NOT NULL DEFAULT 0;
UPDATE users SET live_items =
    (SELECT COUNT(*) FROM credentials c WHERE c.user_id = users.id AND c.deleted = 0);
