-- SealVault schema v1 (SQLite). Times are unix seconds, flags 0/1.
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    items       TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX tokens_user ON tokens(user_id);

-- One current data key per user; rotation deletes the old row.
CREATE TABLE data_keys (
    key_id      BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL UNIQUE REFERENCES users(id),
    mk_id       TEXT NOT NULL,
    wrapped     BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Vault-internal keys wrapped by the master key: 'audit', 'inbound'.
CREATE TABLE vault_keys (
    name        TEXT PRIMARY KEY,
    mk_id       TEXT NOT NULL,
    wrapped     BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Credentials and tombstones (deleted = 1, envelopes NULL).
CREATE TABLE credentials (
    user_id       TEXT NOT NULL REFERENCES users(id),
    item_id       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    deleted       INTEGER NOT NULL DEFAULT 0,
    key_id        BLOB,
    envelope      BLOB,
    totp_envelope BLOB,
    config        TEXT,
    assigned      TEXT,
    fencing_seq   INTEGER NOT NULL DEFAULT 0,
    proxy_id      TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX credentials_key ON credentials(key_id);

-- Every (key_id, salt) ever ingested under a live key.
CREATE TABLE seen_salts (
    key_id  BLOB NOT NULL,
    salt    BLOB NOT NULL,
    PRIMARY KEY (key_id, salt)
);

CREATE TABLE leases (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    token_id      TEXT NOT NULL,
    token_hash    BLOB NOT NULL,
    purpose       TEXT NOT NULL,
    phase         TEXT NOT NULL,
    fencing_token INTEGER NOT NULL,
    ttl_secs      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX leases_item ON leases(user_id, item_id);

CREATE TABLE lease_waiters (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    arrived_us  INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL
);
CREATE INDEX lease_waiters_item ON lease_waiters(user_id, item_id);

CREATE TABLE totp_issued (
    user_id     TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    step        INTEGER NOT NULL,
    lease_id    TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_id, step)
);

-- Later issues: browser session state, inbound TFA codes, proxies.
CREATE TABLE session_states (
    user_id       TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    version       INTEGER NOT NULL,
    key_id        BLOB NOT NULL,
    envelope      BLOB NOT NULL,
    fencing_token INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_id)
);

CREATE TABLE inbound_codes (
    id          TEXT PRIMARY KEY,
    user_id     TEXT,
    item_id     TEXT,
    channel     TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER
);

CREATE TABLE proxies (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    ip          TEXT NOT NULL,
    healthy     INTEGER NOT NULL DEFAULT 1,
    checked_at  INTEGER
);

-- The HMAC-chained audit log and its head (one row, id = 1).
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    action    TEXT NOT NULL,
    user_id   TEXT,
    token_id  TEXT,
    item_id   TEXT,
    detail    TEXT NOT NULL,
    mac       BLOB NOT NULL
);
CREATE INDEX audit_user ON audit_log(user_id, seq);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  INTEGER NOT NULL,
    mac  BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, X'');
