-- Reviews (评价) of order lines, favourites (收藏) and browsing history (足迹).

CREATE TABLE reviews (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id    BIGINT NOT NULL REFERENCES merchants(id),
    order_id       BIGINT NOT NULL REFERENCES orders(id),
    line_id        BIGINT NOT NULL REFERENCES order_lines(id),
    product_id     BIGINT NOT NULL REFERENCES products(id),
    buyer_id       BIGINT NOT NULL REFERENCES buyers(id),
    rating         INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text           TEXT NOT NULL,
    images         TEXT NOT NULL DEFAULT '[]',
    anonymous      INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
    hidden         INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    reply          TEXT,
    replied_at     BIGINT,
    created_at     BIGINT NOT NULL,
    UNIQUE (line_id)
);
CREATE INDEX reviews_product ON reviews (product_id, hidden, id);
CREATE INDEX reviews_buyer ON reviews (buyer_id, id);
CREATE INDEX reviews_merchant ON reviews (merchant_id, id);

CREATE TABLE favourites (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id     BIGINT NOT NULL REFERENCES buyers(id),
    product_id   BIGINT NOT NULL REFERENCES products(id),
    created_at   BIGINT NOT NULL,
    UNIQUE (buyer_id, product_id)
);

CREATE TABLE browsing_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id     BIGINT NOT NULL REFERENCES buyers(id),
    product_id   BIGINT NOT NULL REFERENCES products(id),
    viewed_at    BIGINT NOT NULL,
    UNIQUE (buyer_id, product_id)
);
CREATE INDEX browsing_history_buyer ON browsing_history (buyer_id, viewed_at);
