-- Inbound second factors (issue 9). The 0001 placeholder inbound_codes
-- (never written) is replaced.
DROP TABLE inbound_codes;

-- Each EMAIL credential's vault-assigned address (unique in the vault).
CREATE TABLE inbound_addresses (
    address     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    UNIQUE (user_id, item_id)
);

-- SMS pool numbers in use: a number belongs to one user at a time (its SMS
-- credentials share it); the row goes when the user's last one does.
CREATE TABLE sms_numbers (
    number      TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    assigned_at BIGINT NOT NULL
);
CREATE INDEX sms_numbers_user ON sms_numbers(user_id);

-- Received codes and links, sealed under the inbound key; handed out once
-- (the row is deleted), swept at expires_at. item_id NULL: a text held
-- because no single credential could take it (its number in `number`).
CREATE TABLE inbound_codes (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    item_id     TEXT,
    number      TEXT,
    channel     TEXT NOT NULL,
    sealed      BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    received_us BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX inbound_codes_item ON inbound_codes(user_id, item_id);
CREATE INDEX inbound_codes_expiry ON inbound_codes(expires_at);

-- Webhook message ids (Twilio MessageSid, JSON id) accepted once.
CREATE TABLE inbound_seen (
    source      TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (source, message_id)
);
