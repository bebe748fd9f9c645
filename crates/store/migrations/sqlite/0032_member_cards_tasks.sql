-- Paid membership cards (付费会员/年卡): a product whose purchase grants a level for a term; each purchase is a
-- grant (renewals start where the last one ends); a refund revokes it. Member tasks: points once per buyer
-- for a first review, a completed profile and a first share.

CREATE TABLE member_cards (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    name            TEXT NOT NULL,
    product_id      BIGINT NOT NULL REFERENCES products(id),
    level_id        BIGINT NOT NULL REFERENCES member_levels(id),
    term_days       INTEGER NOT NULL CHECK (term_days BETWEEN 1 AND 3660),
    welcome_points  BIGINT NOT NULL DEFAULT 0 CHECK (welcome_points BETWEEN 0 AND 1000000),
    created_at      BIGINT NOT NULL,
    UNIQUE (merchant_id, product_id),
    UNIQUE (merchant_id, name)
);

CREATE TABLE member_card_grants (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id      BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id         BIGINT NOT NULL REFERENCES buyers(id),
    card_id          BIGINT NOT NULL REFERENCES member_cards(id),
    order_id         BIGINT NOT NULL REFERENCES orders(id),
    line_id          BIGINT NOT NULL,
    level_id         BIGINT NOT NULL REFERENCES member_levels(id),
    before_level_id  BIGINT,
    starts_at        BIGINT NOT NULL,
    ends_at          BIGINT NOT NULL CHECK (ends_at > starts_at),
    welcome_points   BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended', 'revoked')),
    ended_at         BIGINT,
    UNIQUE (line_id)
);
CREATE INDEX member_card_grants_buyer ON member_card_grants (buyer_id, status, ends_at);

ALTER TABLE member_settings ADD COLUMN task_review_points INTEGER NOT NULL DEFAULT 20 CHECK (task_review_points BETWEEN 0 AND 10000);
ALTER TABLE member_settings ADD COLUMN task_profile_points INTEGER NOT NULL DEFAULT 50 CHECK (task_profile_points BETWEEN 0 AND 10000);
ALTER TABLE member_settings ADD COLUMN task_share_points INTEGER NOT NULL DEFAULT 10 CHECK (task_share_points BETWEEN 0 AND 10000);

CREATE TABLE member_tasks_done (
    buyer_id     BIGINT NOT NULL REFERENCES buyers(id),
    task         TEXT NOT NULL CHECK (task IN ('first_review', 'profile_completed', 'first_share')),
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    points       BIGINT NOT NULL CHECK (points >= 0),
    at           BIGINT NOT NULL,
    PRIMARY KEY (buyer_id, task)
);
