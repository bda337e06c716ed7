-- Browser session state (issue 10). The state's version counter and the
-- fencing token of its last writer live on the credential row, so they
-- survive a delete or an expiry of the state (and a credential tombstone):
-- versions continue from the last one and an old envelope is never
-- accepted again. `expires_at` is the optional hard expiry a PUT names.
ALTER TABLE credentials ADD COLUMN state_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN state_fencing BIGINT NOT NULL DEFAULT 0;
ALTER TABLE session_states ADD COLUMN expires_at BIGINT;
