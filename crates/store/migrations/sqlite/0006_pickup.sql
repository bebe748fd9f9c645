-- O2O pick-up: stores, pick-up orders with verification codes, and the store clerk role.

CREATE TABLE admin_users_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('owner','operator','finance','service','clerk')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    UNIQUE (merchant_id, username)
);
INSERT INTO admin_users_new (id, merchant_id, username, display_name, password_hash, role, disabled, created_at)
    SELECT id, merchant_id, username, display_name, password_hash, role, disabled, created_at FROM admin_users;
DROP TABLE admin_users;
ALTER TABLE admin_users_new RENAME TO admin_users;

CREATE TABLE stores (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
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
