-- API keys: the public key id, the tenant it authenticates, and a bcrypt
-- hash of its secret (never the secret). `enabled` is 0 or 1 in both
-- databases, so the shared SQL binds one type.

CREATE TABLE api_keys (
    key_id     TEXT   NOT NULL PRIMARY KEY,
    client_id  TEXT   NOT NULL,
    enabled    BIGINT NOT NULL CHECK (enabled IN (0, 1)),
    created_at BIGINT NOT NULL,
    hash       TEXT   NOT NULL
);
