-- Where an order came from, kept when it is placed: the buyer's first touch (earliest storefront visit) and last
-- touch (latest visit through a channel other than direct, else the latest direct visit, within the attribution
-- window; none outside it). A channel is a channel code; the campaign is '' when none.
CREATE TABLE order_touches (
    order_id           BIGINT PRIMARY KEY REFERENCES orders(id),
    merchant_id        BIGINT NOT NULL REFERENCES merchants(id),
    first_channel      TEXT NOT NULL,
    first_campaign     TEXT NOT NULL DEFAULT '',
    first_promoter_id  BIGINT,
    first_at           BIGINT,
    last_channel       TEXT NOT NULL,
    last_campaign      TEXT NOT NULL DEFAULT '',
    last_promoter_id   BIGINT,
    last_at            BIGINT
);
CREATE INDEX order_touches_merchant ON order_touches (merchant_id, first_channel);
