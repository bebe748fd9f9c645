-- The points mall (积分商城): coupons a buyer takes for points, with stock and a per-buyer limit.

CREATE TABLE points_mall_items (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id         BIGINT NOT NULL REFERENCES merchants(id),
    title               TEXT NOT NULL,
    coupon_template_id  BIGINT NOT NULL REFERENCES coupon_templates(id),
    points_price        BIGINT NOT NULL CHECK (points_price > 0),
    stock               BIGINT NOT NULL CHECK (stock >= 0),
    per_buyer_limit     BIGINT NOT NULL DEFAULT 0 CHECK (per_buyer_limit >= 0),
    exchanged           BIGINT NOT NULL DEFAULT 0 CHECK (exchanged >= 0),
    on_sale             INTEGER NOT NULL DEFAULT 1 CHECK (on_sale IN (0, 1)),
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX points_mall_items_merchant ON points_mall_items (merchant_id, on_sale);

CREATE TABLE points_exchanges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    item_id      BIGINT NOT NULL REFERENCES points_mall_items(id),
    buyer_id     BIGINT NOT NULL REFERENCES buyers(id),
    points       BIGINT NOT NULL CHECK (points > 0),
    coupon_id    BIGINT NOT NULL REFERENCES buyer_coupons(id),
    at           BIGINT NOT NULL
);
CREATE INDEX points_exchanges_buyer ON points_exchanges (buyer_id, item_id);
