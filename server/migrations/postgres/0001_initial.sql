-- SealVault schema v1 (PostgreSQL). Times are unix seconds, flags 0/1.
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    items       TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX tokens_user ON tokens(user_id);

-- One current data key per user; rotation deletes the old row.
CREATE TABLE data_keys (
    key_id      BYTEA PRIMARY KEY,
    user_id     TEXT NOT NULL UNIQUE REFERENCES users(id),
    mk_id       TEXT NOT NULL,
    wrapped     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Vault-internal keys wrapped by the master key: 'audit', 'inbound'.
CREATE TABLE vault_keys (
    name        TEXT PRIMARY KEY,
    mk_id       TEXT NOT NULL,
    wrapped     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Credentials and tombstones (deleted = 1, envelopes NULL).
CREATE TABLE credentials (
    user_id       TEXT NOT NULL REFERENCES users(id),
    item_id       TEXT NOT NULL,
    version       BIGINT NOT NULL,
    deleted       BIGINT NOT NULL DEFAULT 0,
    key_id        BYTEA,
    envelope      BYTEA,
    totp_envelope BYTEA,
    config        TEXT,
    assigned      TEXT,
    fencing_seq   BIGINT NOT NULL DEFAULT 0,
    proxy_id      TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (user_id, item_id)
);
CREATE INDEX credentials_key ON credentials(key_id);

-- Every (key_id, salt) ever ingested under a live key.
CREATE TABLE seen_salts (
    key_id  BYTEA NOT NULL,
    salt    BYTEA NOT NULL,
    PRIMARY KEY (key_id, salt)
);

CREATE TABLE leases (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    token_id      TEXT NOT NULL,
    token_hash    BYTEA NOT NULL,
    purpose       TEXT NOT NULL,
    phase         TEXT NOT NULL,
    fencing_token BIGINT NOT NULL,
    ttl_secs      BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX leases_item ON leases(user_id, item_id);

CREATE TABLE lease_waiters (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    arrived_us  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL
);
CREATE INDEX lease_waiters_item ON lease_waiters(user_id, item_id);

CREATE TABLE totp_issued (
    user_id     TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    step        BIGINT NOT NULL,
    lease_id    TEXT NOT NULL,
    issued_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, item_id, step)
);

-- Later issues: browser session state, inbound TFA codes, proxies.
CREATE TABLE session_states (
    user_id       TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    version       BIGINT NOT NULL,
    key_id        BYTEA NOT NULL,
    envelope      BYTEA NOT NULL,
    fencing_token BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, item_id)
);

CREATE TABLE inbound_codes (
    id          TEXT PRIMARY KEY,
    user_id     TEXT,
    item_id     TEXT,
    channel     TEXT NOT NULL,
    sealed      BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    consumed_at BIGINT
);

CREATE TABLE proxies (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    ip          TEXT NOT NULL,
    healthy     BIGINT NOT NULL DEFAULT 1,
    checked_at  BIGINT
);

-- The HMAC-chained audit log and its head (one row, id = 1).
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    action    TEXT NOT NULL,
    user_id   TEXT,
    token_id  TEXT,
    item_id   TEXT,
    detail    TEXT NOT NULL,
    mac       BYTEA NOT NULL
);
CREATE INDEX audit_user ON audit_log(user_id, seq);

CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    mac  BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, ''::bytea);
