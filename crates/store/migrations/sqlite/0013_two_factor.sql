-- Two-factor login of console users: a TOTP secret per user, single-use recovery codes (SHA-256 only),
-- the short-lived tokens between the password and the second step, and the shop's rule for its owners.

CREATE TABLE admin_two_factor (
    admin_id      BIGINT PRIMARY KEY REFERENCES admin_users(id),
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    secret        TEXT NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 0,
    last_step     BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    enabled_at    BIGINT
);

CREATE TABLE admin_recovery_codes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    admin_id      BIGINT NOT NULL REFERENCES admin_users(id),
    code_hash     TEXT NOT NULL,
    used_at       BIGINT
);
CREATE INDEX admin_recovery_codes_admin ON admin_recovery_codes (admin_id, code_hash);

CREATE TABLE admin_login_challenges (
    token_hash    TEXT PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('code','enrol')),
    admin_id      BIGINT NOT NULL REFERENCES admin_users(id),
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);

ALTER TABLE merchants ADD COLUMN owner_two_factor INTEGER NOT NULL DEFAULT 0;
