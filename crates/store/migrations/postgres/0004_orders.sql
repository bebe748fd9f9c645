-- Orders: cart, orders and their lines, timeline, payments and notifications, refunds, shipments.

CREATE TABLE cart_items (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id      BIGINT NOT NULL REFERENCES buyers(id),
    sku_id        BIGINT NOT NULL REFERENCES skus(id),
    quantity      BIGINT NOT NULL CHECK (quantity > 0),
    selected      INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (buyer_id, sku_id)
);

CREATE TABLE orders (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    order_no        TEXT NOT NULL UNIQUE,
    buyer_id        BIGINT NOT NULL REFERENCES buyers(id),
    status          TEXT NOT NULL,
    is_group        INTEGER NOT NULL DEFAULT 0,
    list_total      BIGINT NOT NULL,
    goods_total     BIGINT NOT NULL,
    order_discount  BIGINT NOT NULL,
    coupon_discount BIGINT NOT NULL,
    points_used     BIGINT NOT NULL,
    points_discount BIGINT NOT NULL,
    shipping        BIGINT NOT NULL,
    payable         BIGINT NOT NULL CHECK (payable >= 0),
    refunded_amount BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    coupon_ids      TEXT NOT NULL DEFAULT '[]',
    address         TEXT,
    remark          TEXT NOT NULL DEFAULT '',
    derivation      TEXT NOT NULL DEFAULT '{}',
    pay_deadline    BIGINT NOT NULL,
    paid_at         BIGINT,
    shipped_at      BIGINT,
    received_at     BIGINT,
    completed_at    BIGINT,
    cancelled_at    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK (refunded_amount <= payable)
);
CREATE INDEX orders_buyer ON orders (buyer_id, id);
CREATE INDEX orders_merchant ON orders (merchant_id, status, id);
CREATE INDEX orders_created ON orders (merchant_id, created_at);

CREATE TABLE order_lines (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    order_id        BIGINT NOT NULL REFERENCES orders(id),
    sku_id          BIGINT NOT NULL REFERENCES skus(id),
    product_id      BIGINT NOT NULL REFERENCES products(id),
    title           TEXT NOT NULL,
    spec            TEXT NOT NULL DEFAULT '[]',
    image           TEXT,
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    sale_price      BIGINT NOT NULL,
    unit_price      BIGINT NOT NULL,
    price_source    TEXT NOT NULL,
    goods_amount    BIGINT NOT NULL,
    order_discount  BIGINT NOT NULL,
    coupon_discount BIGINT NOT NULL,
    points_discount BIGINT NOT NULL,
    paid_amount     BIGINT NOT NULL CHECK (paid_amount >= 0),
    shipped_qty     BIGINT NOT NULL DEFAULT 0,
    refunded_qty    BIGINT NOT NULL DEFAULT 0,
    refunded_amount BIGINT NOT NULL DEFAULT 0,
    CHECK (shipped_qty <= quantity AND refunded_qty <= quantity AND refunded_amount <= paid_amount)
);
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_product ON order_lines (product_id);

CREATE TABLE order_events (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    order_id      BIGINT NOT NULL REFERENCES orders(id),
    kind          TEXT NOT NULL,
    from_status   TEXT,
    to_status     TEXT,
    detail        TEXT NOT NULL DEFAULT '{}',
    actor         TEXT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE payments (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    order_id        BIGINT NOT NULL REFERENCES orders(id),
    provider        TEXT NOT NULL,
    out_trade_no    TEXT NOT NULL UNIQUE,
    amount          BIGINT NOT NULL,
    fee             BIGINT NOT NULL DEFAULT 0,
    status          TEXT NOT NULL CHECK (status IN ('pending','succeeded','closed')),
    provider_txn_id TEXT,
    created_at      BIGINT NOT NULL,
    succeeded_at    BIGINT
);
CREATE INDEX payments_order ON payments (order_id);

CREATE TABLE payment_notifications (
    id              BIGSERIAL PRIMARY KEY,
    provider        TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    out_trade_no    TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    received_at     BIGINT NOT NULL
);
CREATE INDEX payment_notifications_trade ON payment_notifications (out_trade_no);

CREATE TABLE refunds (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    order_id        BIGINT NOT NULL REFERENCES orders(id),
    payment_id      BIGINT NOT NULL REFERENCES payments(id),
    out_refund_no   TEXT NOT NULL UNIQUE,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending','succeeded','failed')),
    created_at      BIGINT NOT NULL,
    succeeded_at    BIGINT
);
CREATE INDEX refunds_order ON refunds (order_id);

CREATE TABLE shipments (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    order_id      BIGINT NOT NULL REFERENCES orders(id),
    carrier       TEXT NOT NULL,
    tracking_no   TEXT NOT NULL,
    lines         TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX shipments_order ON shipments (order_id);
