-- Foundation: merchants, console users, buyers, sessions, messages, jobs, idempotency, audit.
-- Conventions (both backends): money BIGINT fen, times BIGINT epoch ms, flags INTEGER 0/1, JSON as TEXT.

CREATE TABLE merchants (
    id            BIGSERIAL PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    is_default    INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE admin_users (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner','operator','finance','service')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    UNIQUE (merchant_id, username)
);

CREATE TABLE buyers (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    openid        TEXT,
    phone         TEXT,
    nickname      TEXT NOT NULL,
    channel       TEXT NOT NULL DEFAULT 'direct',
    created_at    BIGINT NOT NULL,
    UNIQUE (merchant_id, openid),
    UNIQUE (merchant_id, phone)
);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('admin','buyer')),
    subject_id    BIGINT NOT NULL,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX sessions_subject ON sessions (kind, subject_id);

CREATE TABLE login_failures (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    login_key     TEXT NOT NULL,
    ip            TEXT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (login_key, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

CREATE TABLE sms_codes (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    phone         TEXT NOT NULL,
    code_hash     TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    used_at       BIGINT
);
CREATE INDEX sms_codes_phone ON sms_codes (merchant_id, phone, created_at);

CREATE TABLE outbox (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    channel       TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    template      TEXT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending','sent','failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    sent_at       BIGINT
);
CREATE INDEX outbox_merchant ON outbox (merchant_id, id);

CREATE TABLE jobs (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    dedup_key     TEXT UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('pending','done','dead')),
    run_at        BIGINT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL DEFAULT 10,
    locked_by     TEXT,
    locked_until  BIGINT,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    finished_at   BIGINT
);
CREATE INDEX jobs_due ON jobs (status, run_at);

CREATE TABLE idempotency_keys (
    scope         TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    request_hash  TEXT NOT NULL,
    status_code   INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);

CREATE TABLE audit_log (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    actor_id      BIGINT NOT NULL,
    actor_name    TEXT NOT NULL,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    before_json   TEXT,
    after_json    TEXT,
    request_id    TEXT,
    at            BIGINT NOT NULL
);
CREATE INDEX audit_merchant ON audit_log (merchant_id, id);
