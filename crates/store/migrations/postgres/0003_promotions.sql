-- Promotions: activities, coupons, freight templates, points, buyer addresses.

ALTER TABLE merchants ADD COLUMN points_per_yuan BIGINT NOT NULL DEFAULT 100;
ALTER TABLE merchants ADD COLUMN points_max_share_pct INTEGER NOT NULL DEFAULT 50;
ALTER TABLE merchants ADD COLUMN default_freight_template_id BIGINT;
ALTER TABLE products ADD COLUMN freight_template_id BIGINT;

CREATE TABLE activities (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('limited_discount','first_order','newcomer','full_reduction','full_discount')),
    rule            TEXT NOT NULL,
    scope           TEXT NOT NULL,
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    allow_coupons   INTEGER NOT NULL DEFAULT 1,
    allow_points    INTEGER NOT NULL DEFAULT 1,
    per_buyer_limit BIGINT NOT NULL DEFAULT 0 CHECK (per_buyer_limit >= 0),
    free_shipping   INTEGER NOT NULL DEFAULT 0,
    allow_overlap   INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','ended')),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX activities_window ON activities (merchant_id, status, ends_at);

CREATE TABLE coupon_templates (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('amount_off','percent_off','free_shipping')),
    threshold       BIGINT NOT NULL DEFAULT 0 CHECK (threshold >= 0),
    amount_off      BIGINT NOT NULL DEFAULT 0 CHECK (amount_off >= 0),
    percent         INTEGER NOT NULL DEFAULT 0,
    cap             BIGINT NOT NULL DEFAULT 0 CHECK (cap >= 0),
    scope           TEXT NOT NULL,
    valid_from      BIGINT,
    valid_until     BIGINT,
    valid_days      INTEGER,
    total_quantity  BIGINT NOT NULL DEFAULT 0 CHECK (total_quantity >= 0),
    issued          BIGINT NOT NULL DEFAULT 0 CHECK (issued >= 0),
    per_buyer_limit BIGINT NOT NULL DEFAULT 1 CHECK (per_buyer_limit >= 0),
    claimable       INTEGER NOT NULL DEFAULT 1,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','stopped')),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE buyer_coupons (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    template_id     BIGINT NOT NULL REFERENCES coupon_templates(id),
    buyer_id        BIGINT NOT NULL REFERENCES buyers(id),
    state           TEXT NOT NULL DEFAULT 'unused' CHECK (state IN ('unused','locked','used','expired','returned')),
    valid_from      BIGINT NOT NULL,
    valid_until     BIGINT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('claim','push','reward')),
    order_ref       TEXT,
    claimed_at      BIGINT NOT NULL,
    used_at         BIGINT
);
CREATE INDEX buyer_coupons_buyer ON buyer_coupons (buyer_id, state);
CREATE INDEX buyer_coupons_template ON buyer_coupons (template_id, buyer_id);

CREATE TABLE freight_templates (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    name            TEXT NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('piece','weight')),
    rules           TEXT NOT NULL,
    free_over       BIGINT,
    no_delivery     TEXT NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE points_balances (
    buyer_id        BIGINT PRIMARY KEY REFERENCES buyers(id),
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    balance         BIGINT NOT NULL CHECK (balance >= 0)
);

CREATE TABLE points_ledger (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id        BIGINT NOT NULL REFERENCES buyers(id),
    delta           BIGINT NOT NULL,
    balance_after   BIGINT NOT NULL CHECK (balance_after >= 0),
    reason          TEXT NOT NULL,
    reference       TEXT NOT NULL DEFAULT '',
    at              BIGINT NOT NULL
);
CREATE INDEX points_ledger_buyer ON points_ledger (buyer_id, id);

CREATE TABLE addresses (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id        BIGINT NOT NULL REFERENCES buyers(id),
    name            TEXT NOT NULL,
    phone           TEXT NOT NULL,
    province        TEXT NOT NULL,
    city            TEXT NOT NULL,
    district        TEXT NOT NULL,
    detail          TEXT NOT NULL,
    is_default      INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX addresses_buyer ON addresses (buyer_id);
