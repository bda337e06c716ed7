-- seen_salts as one B-tree (WITHOUT ROWID): an ingest inserts each salt
-- into the primary key alone, instead of into a rowid table and its index
-- (SQLite only; PostgreSQL keeps its table and index).
CREATE TABLE seen_salts_v2 (
    key_id  BLOB NOT NULL,
    salt    BLOB NOT NULL,
    PRIMARY KEY (key_id, salt)
) WITHOUT ROWID;
INSERT INTO seen_salts_v2 (key_id, salt) SELECT key_id, salt FROM seen_salts;
DROP TABLE seen_salts;
ALTER TABLE seen_salts_v2 RENAME TO seen_salts;
