-- The storefront's showcase (店铺装修): the home page's image banners (slot 'carousel') and its icon grid
-- (slot 'icons'). Each entry has an image, a title and a link target (a product, category or flash sale by
-- id, the coupon centre, or a storefront path), a position within its slot, and an optional display window.

CREATE TABLE showcase_items (
    id          BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    slot        TEXT NOT NULL CHECK (slot IN ('carousel', 'icons')),
    title       TEXT NOT NULL,
    image       TEXT NOT NULL,
    link_kind   TEXT NOT NULL CHECK (link_kind IN ('none', 'product', 'category', 'flash_sale', 'coupons', 'page')),
    link_target TEXT,
    position    BIGINT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    starts_at   BIGINT,
    ends_at     BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX showcase_items_slot ON showcase_items (merchant_id, slot, position);
