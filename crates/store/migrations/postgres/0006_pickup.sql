-- O2O pick-up: stores, pick-up orders with verification codes, and the store clerk role.

ALTER TABLE admin_users DROP CONSTRAINT admin_users_role_check;
ALTER TABLE admin_users ADD CONSTRAINT admin_users_role_check CHECK (role IN ('owner','operator','finance','service','clerk'));

CREATE TABLE stores (
    id            BIGSERIAL PRIMARY KEY,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    name          TEXT NOT NULL,
    address       TEXT NOT NULL,
    phone         TEXT NOT NULL DEFAULT '',
    hours         TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL
);

ALTER TABLE orders ADD COLUMN delivery TEXT NOT NULL DEFAULT 'express';
ALTER TABLE orders ADD COLUMN store_id BIGINT;
ALTER TABLE orders ADD COLUMN pickup_code TEXT;
ALTER TABLE orders ADD COLUMN picked_up_at BIGINT;
CREATE UNIQUE INDEX orders_pickup_code ON orders (merchant_id, pickup_code);
