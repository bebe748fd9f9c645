-- Tracked events and their daily rollups. Days are the shop's calendar days (days since 1970-01-01 in Beijing
-- time) of the server's time. Events are appended in batches and never updated; the rollups are rebuilt for a
-- range of days (delete and insert … select in one transaction), so rebuilding twice gives the same rows.
-- An event's actor is its buyer when known, otherwise its anonymous visitor.

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    kind         INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 11),
    day          BIGINT NOT NULL,
    buyer_id     BIGINT,
    visitor      TEXT,
    session      TEXT,
    channel      TEXT NOT NULL,
    campaign     TEXT NOT NULL DEFAULT '',
    promoter_id  BIGINT,
    product_id   BIGINT,
    sku_id       BIGINT,
    order_id     BIGINT,
    amount_fen   BIGINT,
    query        TEXT,
    client_at    BIGINT NOT NULL,
    server_at    BIGINT NOT NULL,
    CHECK (buyer_id IS NOT NULL OR visitor IS NOT NULL)
);
CREATE INDEX events_day ON events (merchant_id, day);

-- Per day × channel × campaign × product (0: the event names none) × kind: events, distinct actors within the
-- cell, and the amount carried (orders, payments, refunds).
CREATE TABLE event_daily (
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    day          BIGINT NOT NULL,
    channel      TEXT NOT NULL,
    campaign     TEXT NOT NULL,
    product_id   BIGINT NOT NULL,
    kind         INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 11),
    events       BIGINT NOT NULL,
    actors       BIGINT NOT NULL,
    amount_fen   BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, day, channel, campaign, product_id, kind)
);

-- Per day × channel × campaign × kind, over all products: distinct actors and sessions (visitors, product
-- viewers, buyers and the funnel's steps), which the per-product cells cannot be summed into.
CREATE TABLE event_daily_reach (
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    day          BIGINT NOT NULL,
    channel      TEXT NOT NULL,
    campaign     TEXT NOT NULL,
    kind         INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 11),
    actors       BIGINT NOT NULL,
    sessions     BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, day, channel, campaign, kind)
);
