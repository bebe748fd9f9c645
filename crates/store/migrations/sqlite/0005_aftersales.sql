-- After-sales: refund only, return and refund, exchange; by line and quantity.

ALTER TABLE order_lines ADD COLUMN pending_refund_qty BIGINT NOT NULL DEFAULT 0;

CREATE TABLE aftersales (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    order_id        BIGINT NOT NULL REFERENCES orders(id),
    buyer_id        BIGINT NOT NULL REFERENCES buyers(id),
    kind            TEXT NOT NULL CHECK (kind IN ('refund_only','return_refund','exchange')),
    status          TEXT NOT NULL CHECK (status IN ('pending','approved','returning','refunded','exchanged','rejected','cancelled')),
    reason          TEXT NOT NULL,
    images          TEXT NOT NULL DEFAULT '[]',
    lines           TEXT NOT NULL,
    amount          BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
    points          BIGINT NOT NULL DEFAULT 0 CHECK (points >= 0),
    shipping_refund BIGINT NOT NULL DEFAULT 0,
    return_carrier  TEXT,
    return_tracking TEXT,
    reject_reason   TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX aftersales_order ON aftersales (order_id);
CREATE INDEX aftersales_merchant ON aftersales (merchant_id, status, id);
