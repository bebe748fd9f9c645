-- Members: the shop's levels, one profile row per buyer (what levels, segments and lifecycle read),
-- level history, daily sign-ins, points lots (grants with their expiry), tags and saved segments.
-- Days are the shop's calendar days (days since 1970-01-01 in Beijing time).

CREATE TABLE member_levels (
    id                     BIGSERIAL PRIMARY KEY,
    merchant_id            BIGINT NOT NULL REFERENCES merchants(id),
    name                   TEXT NOT NULL,
    rank                   INTEGER NOT NULL,
    badge                  TEXT NOT NULL DEFAULT '',
    min_spend_fen          BIGINT CHECK (min_spend_fen >= 0),
    min_points             BIGINT CHECK (min_points >= 0),
    both_required          INTEGER NOT NULL DEFAULT 0 CHECK (both_required IN (0, 1)),
    discount_pct           INTEGER CHECK (discount_pct BETWEEN 1 AND 99),
    free_shipping          INTEGER NOT NULL DEFAULT 0 CHECK (free_shipping IN (0, 1)),
    points_multiplier_pct  INTEGER NOT NULL DEFAULT 100 CHECK (points_multiplier_pct BETWEEN 100 AND 1000),
    birthday_coupon_id     BIGINT REFERENCES coupon_templates(id),
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    UNIQUE (merchant_id, rank),
    UNIQUE (merchant_id, name)
);

CREATE TABLE member_profiles (
    buyer_id               BIGINT PRIMARY KEY REFERENCES buyers(id),
    merchant_id            BIGINT NOT NULL REFERENCES merchants(id),
    level_id               BIGINT REFERENCES member_levels(id),
    completed_spend_fen    BIGINT NOT NULL DEFAULT 0,
    points_earned          BIGINT NOT NULL DEFAULT 0 CHECK (points_earned >= 0),
    orders_count           BIGINT NOT NULL DEFAULT 0 CHECK (orders_count >= 0),
    registered_day         BIGINT NOT NULL,
    first_order_day        BIGINT,
    last_order_day         BIGINT,
    birth_day              BIGINT,
    gender                 TEXT NOT NULL DEFAULT 'unknown' CHECK (gender IN ('female', 'male', 'unknown')),
    region                 TEXT NOT NULL DEFAULT '',
    channel                TEXT NOT NULL DEFAULT 'direct',
    stage                  TEXT NOT NULL DEFAULT 'new' CHECK (stage IN ('new', 'active', 'silent', 'churned')),
    birthday_granted_year  INTEGER,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX member_profiles_level ON member_profiles (merchant_id, level_id);
CREATE INDEX member_profiles_last_order ON member_profiles (merchant_id, last_order_day);
CREATE INDEX member_profiles_spend ON member_profiles (merchant_id, completed_spend_fen);
CREATE INDEX member_profiles_stage ON member_profiles (merchant_id, stage);

CREATE TABLE member_level_history (
    id             BIGSERIAL PRIMARY KEY,
    merchant_id    BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id       BIGINT NOT NULL REFERENCES buyers(id),
    from_level_id  BIGINT REFERENCES member_levels(id),
    to_level_id    BIGINT REFERENCES member_levels(id),
    reason         TEXT NOT NULL CHECK (reason IN ('progress', 'yearly', 'admin', 'card')),
    at             BIGINT NOT NULL
);
CREATE INDEX member_level_history_buyer ON member_level_history (buyer_id, id);

CREATE TABLE sign_ins (
    buyer_id     BIGINT NOT NULL REFERENCES buyers(id),
    day          BIGINT NOT NULL,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    streak       INTEGER NOT NULL CHECK (streak >= 1),
    points       BIGINT NOT NULL CHECK (points >= 0),
    at           BIGINT NOT NULL,
    PRIMARY KEY (buyer_id, day)
);

CREATE TABLE points_lots (
    id           BIGSERIAL PRIMARY KEY,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id     BIGINT NOT NULL REFERENCES buyers(id),
    source       TEXT NOT NULL CHECK (source IN ('order', 'sign_in', 'task', 'adjust', 'card')),
    reference    TEXT NOT NULL DEFAULT '',
    granted_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    amount       BIGINT NOT NULL CHECK (amount > 0),
    remaining    BIGINT NOT NULL CHECK (remaining >= 0 AND remaining <= amount)
);
CREATE INDEX points_lots_buyer ON points_lots (buyer_id, expires_at);
CREATE INDEX points_lots_expiry ON points_lots (merchant_id, expires_at);

CREATE TABLE member_tags (
    id           BIGSERIAL PRIMARY KEY,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('manual', 'rule')),
    rule         TEXT,
    created_at   BIGINT NOT NULL,
    UNIQUE (merchant_id, name)
);

CREATE TABLE buyer_tags (
    tag_id       BIGINT NOT NULL REFERENCES member_tags(id),
    buyer_id     BIGINT NOT NULL REFERENCES buyers(id),
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    tagged_at    BIGINT NOT NULL,
    PRIMARY KEY (tag_id, buyer_id)
);
CREATE INDEX buyer_tags_buyer ON buyer_tags (buyer_id);

CREATE TABLE segments (
    id           BIGSERIAL PRIMARY KEY,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    name         TEXT NOT NULL,
    filter       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (merchant_id, name)
);

CREATE TABLE member_settings (
    merchant_id        BIGINT PRIMARY KEY REFERENCES merchants(id),
    earn_per_yuan      INTEGER NOT NULL DEFAULT 1 CHECK (earn_per_yuan BETWEEN 0 AND 100),
    expiry             TEXT NOT NULL DEFAULT 'year_end' CHECK (expiry IN ('never', 'rolling', 'year_end')),
    expiry_value       INTEGER NOT NULL DEFAULT 1 CHECK (expiry_value BETWEEN 0 AND 3650),
    downgrade          TEXT NOT NULL DEFAULT 'keep' CHECK (downgrade IN ('keep', 'follow')),
    sign_in_base       INTEGER NOT NULL DEFAULT 5 CHECK (sign_in_base BETWEEN 0 AND 10000),
    sign_in_bonuses    TEXT NOT NULL DEFAULT '[[3,10],[7,30]]',
    sign_in_cycle      INTEGER NOT NULL DEFAULT 7 CHECK (sign_in_cycle BETWEEN 0 AND 366),
    new_days           INTEGER NOT NULL DEFAULT 30,
    silent_after       INTEGER NOT NULL DEFAULT 60,
    churned_after      INTEGER NOT NULL DEFAULT 180,
    updated_at         BIGINT NOT NULL
);

-- Buyers who registered before members existed get their profile (their shop day: Beijing has kept UTC+8
-- without daylight saving since 1991).
INSERT INTO member_profiles (buyer_id, merchant_id, registered_day, channel, updated_at)
SELECT id, merchant_id, (created_at + 28800000) / 86400000, channel, created_at FROM buyers;
