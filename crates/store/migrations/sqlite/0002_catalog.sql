-- Catalog: categories, products (SPU), SKUs, stock movements and alerts, banned-word settings, uploads, imports.

ALTER TABLE merchants ADD COLUMN banned_word_mode TEXT NOT NULL DEFAULT 'block';
ALTER TABLE merchants ADD COLUMN catalog_version BIGINT NOT NULL DEFAULT 0;
-- JSON array of banned words; NULL means the built-in list.
ALTER TABLE merchants ADD COLUMN banned_words TEXT;

CREATE TABLE categories (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    parent_id     BIGINT REFERENCES categories(id),
    name          TEXT NOT NULL,
    sort          BIGINT NOT NULL DEFAULT 0,
    depth         INTEGER NOT NULL CHECK (depth BETWEEN 1 AND 3),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX categories_parent ON categories (merchant_id, parent_id);

CREATE TABLE products (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id    BIGINT NOT NULL REFERENCES merchants(id),
    code           TEXT NOT NULL,
    category_id    BIGINT NOT NULL REFERENCES categories(id),
    title          TEXT NOT NULL,
    subtitle       TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    images         TEXT NOT NULL DEFAULT '[]',
    tags           TEXT NOT NULL DEFAULT '[]',
    specs          TEXT NOT NULL DEFAULT '[]',
    sort           BIGINT NOT NULL DEFAULT 0,
    on_shelf       INTEGER NOT NULL DEFAULT 0,
    lifecycle      TEXT NOT NULL DEFAULT 'new' CHECK (lifecycle IN ('new','growing','mature','declining')),
    free_shipping  INTEGER NOT NULL DEFAULT 0,
    earns_points   INTEGER NOT NULL DEFAULT 1,
    coupons_usable INTEGER NOT NULL DEFAULT 1,
    purchase_limit BIGINT NOT NULL DEFAULT 0 CHECK (purchase_limit >= 0),
    min_price      BIGINT NOT NULL DEFAULT 0,
    max_price      BIGINT NOT NULL DEFAULT 0,
    sales          BIGINT NOT NULL DEFAULT 0,
    deleted        INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (merchant_id, code)
);
CREATE INDEX products_category ON products (merchant_id, category_id);
CREATE INDEX products_shelf ON products (merchant_id, on_shelf, deleted, id);

CREATE TABLE skus (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id    BIGINT NOT NULL REFERENCES merchants(id),
    product_id     BIGINT NOT NULL REFERENCES products(id),
    code           TEXT NOT NULL,
    barcode        TEXT,
    spec_values    TEXT NOT NULL DEFAULT '[]',
    stock          BIGINT NOT NULL CHECK (stock >= 0),
    original_price BIGINT NOT NULL CHECK (original_price >= 0),
    sale_price     BIGINT NOT NULL CHECK (sale_price >= 0),
    cost_price     BIGINT NOT NULL DEFAULT 0 CHECK (cost_price >= 0),
    weight_g       BIGINT NOT NULL DEFAULT 0 CHECK (weight_g >= 0),
    safety_stock   BIGINT NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
    price_above_original INTEGER NOT NULL DEFAULT 0,
    deleted        INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (merchant_id, code)
);
CREATE INDEX skus_product ON skus (product_id);

CREATE TABLE stock_movements (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    sku_id        BIGINT NOT NULL REFERENCES skus(id),
    delta         BIGINT NOT NULL,
    balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
    reason        TEXT NOT NULL CHECK (reason IN ('initial','sale','cancel','refund','return','manual','import')),
    reference     TEXT NOT NULL DEFAULT '',
    actor         TEXT NOT NULL DEFAULT '',
    at            BIGINT NOT NULL
);
CREATE INDEX stock_movements_sku ON stock_movements (sku_id, id);

CREATE TABLE stock_alerts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    sku_id        BIGINT NOT NULL REFERENCES skus(id),
    stock         BIGINT NOT NULL,
    threshold     BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    resolved_at   BIGINT
);
CREATE INDEX stock_alerts_open ON stock_alerts (merchant_id, resolved_at, id);

CREATE TABLE uploads (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    file_name     TEXT NOT NULL UNIQUE,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE imports (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    actor         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued','validating','applying','done','failed')),
    encoding      TEXT NOT NULL,
    content       TEXT NOT NULL,
    total_rows    BIGINT NOT NULL DEFAULT 0,
    processed_rows BIGINT NOT NULL DEFAULT 0,
    created_products BIGINT NOT NULL DEFAULT 0,
    updated_products BIGINT NOT NULL DEFAULT 0,
    created_skus  BIGINT NOT NULL DEFAULT 0,
    updated_skus  BIGINT NOT NULL DEFAULT 0,
    errors        TEXT NOT NULL DEFAULT '[]',
    created_at    BIGINT NOT NULL,
    finished_at   BIGINT
);
