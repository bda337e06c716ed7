-- Proxy pool members as the vault shares them between replicas: id, exit IP
-- and health only. The member's URL (which may carry proxy credentials)
-- stays in the server's config and memory, never in the database, so the
-- 0001 table (which had a url column, never written) is replaced.
-- Healthy = check_healthy = 1 AND admin_healthy = 1: the periodic TCP check
-- writes check_healthy; POST /v1/admin/proxies/{id}/health writes
-- admin_healthy, which holds until an admin clears it.
DROP TABLE proxies;
CREATE TABLE proxies (
    id             TEXT PRIMARY KEY,
    ip             TEXT NOT NULL,
    check_healthy  INTEGER NOT NULL DEFAULT 1,
    admin_healthy  INTEGER NOT NULL DEFAULT 1,
    checked_at     INTEGER,
    marked_at      INTEGER
);
