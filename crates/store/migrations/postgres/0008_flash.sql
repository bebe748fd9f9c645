-- Flash sales (秒杀): sales, the units set aside for them, and the orders that hold those units.

ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_reason_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_reason_check
    CHECK (reason IN ('initial','sale','cancel','refund','return','manual','import','flash_reserve','flash_return'));

CREATE TABLE flash_sales (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    title           TEXT NOT NULL,
    product_id      BIGINT NOT NULL REFERENCES products(id),
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    per_buyer_limit BIGINT NOT NULL CHECK (per_buyer_limit >= 1),
    allow_coupons   INTEGER NOT NULL DEFAULT 0,
    shipping        BIGINT NOT NULL DEFAULT 0 CHECK (shipping >= 0),
    unpaid_timeout_secs BIGINT NOT NULL CHECK (unpaid_timeout_secs >= 1),
    status          TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','stopped','finished')),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX flash_sales_window ON flash_sales (merchant_id, ends_at);

-- Units set aside from a SKU's stock for a sale. sold counts units in live (pending or paid) flash orders;
-- quantity - sold is what the sale can still sell.
CREATE TABLE flash_sale_items (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    sale_id         BIGINT NOT NULL REFERENCES flash_sales(id),
    sku_id          BIGINT NOT NULL REFERENCES skus(id),
    flash_price     BIGINT NOT NULL CHECK (flash_price > 0),
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    sold            BIGINT NOT NULL DEFAULT 0,
    finished        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (sale_id, sku_id),
    CHECK (sold >= 0 AND sold <= quantity)
);

-- One row per flash order: which sale, SKU and buyer it holds units of, and whether they are still held.
CREATE TABLE flash_orders (
    id              BIGSERIAL PRIMARY KEY,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    sale_id         BIGINT NOT NULL REFERENCES flash_sales(id),
    item_id         BIGINT NOT NULL REFERENCES flash_sale_items(id),
    sku_id          BIGINT NOT NULL,
    buyer_id        BIGINT NOT NULL REFERENCES buyers(id),
    order_id        BIGINT NOT NULL UNIQUE REFERENCES orders(id),
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    reservation     TEXT NOT NULL UNIQUE,
    idem_key        TEXT NOT NULL,
    live            INTEGER NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL
);
CREATE INDEX flash_orders_sale ON flash_orders (sale_id, buyer_id);

-- A random name for this database, so that data kept elsewhere (the flash gate in Redis) never mixes two
-- databases that share one Redis.
CREATE TABLE installation (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    install_key     TEXT NOT NULL
);
