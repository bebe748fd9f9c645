-- Community groups (社群): a shop's groups, each with its own join code and QR code, an owner (a promoter of
-- the shop, or none), its members (a buyer joins and may leave; one open membership per buyer and group),
-- coupons only its members may claim, and the pushes of coupons, flash sales and products to its members.

CREATE TABLE community_groups (
    id                BIGSERIAL PRIMARY KEY,
    merchant_id       BIGINT NOT NULL REFERENCES merchants(id),
    name              TEXT NOT NULL,
    note              TEXT NOT NULL DEFAULT '',
    code              TEXT NOT NULL,
    owner_promoter_id BIGINT REFERENCES promoters(id),
    status            TEXT NOT NULL CHECK (status IN ('active', 'closed')),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX community_groups_code ON community_groups (merchant_id, code);
CREATE UNIQUE INDEX community_groups_name ON community_groups (merchant_id, name);

CREATE TABLE community_members (
    id          BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    group_id    BIGINT NOT NULL REFERENCES community_groups(id),
    buyer_id    BIGINT NOT NULL REFERENCES buyers(id),
    joined_at   BIGINT NOT NULL,
    left_at     BIGINT,
    CHECK (left_at IS NULL OR left_at >= joined_at)
);
CREATE UNIQUE INDEX community_members_open ON community_members (group_id, buyer_id) WHERE left_at IS NULL;
CREATE INDEX community_members_group ON community_members (group_id, joined_at);
CREATE INDEX community_members_buyer ON community_members (buyer_id, group_id);

CREATE TABLE community_coupons (
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    group_id    BIGINT NOT NULL REFERENCES community_groups(id),
    template_id BIGINT NOT NULL REFERENCES coupon_templates(id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (group_id, template_id)
);
CREATE INDEX community_coupons_template ON community_coupons (template_id);

CREATE TABLE community_pushes (
    id          BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    group_id    BIGINT NOT NULL REFERENCES community_groups(id),
    kind        TEXT NOT NULL CHECK (kind IN ('coupon', 'flash_sale', 'product')),
    target_id   BIGINT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX community_pushes_group ON community_pushes (group_id, id);
