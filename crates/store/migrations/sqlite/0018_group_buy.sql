-- Group buying (拼团): activities with their SKUs and group prices, groups and their members.

CREATE TABLE group_buy_activities (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id        BIGINT NOT NULL REFERENCES merchants(id),
    name               TEXT NOT NULL,
    product_id         BIGINT NOT NULL REFERENCES products(id),
    starts_at          BIGINT NOT NULL,
    ends_at            BIGINT NOT NULL,
    group_size         BIGINT NOT NULL CHECK (group_size BETWEEN 2 AND 100),
    time_limit_minutes BIGINT NOT NULL CHECK (time_limit_minutes >= 1),
    leader_discount    BIGINT NOT NULL DEFAULT 0 CHECK (leader_discount >= 0),
    free_shipping      INTEGER NOT NULL DEFAULT 0,
    per_buyer_limit    BIGINT NOT NULL CHECK (per_buyer_limit >= 1),
    mock_fill          INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','stopped')),
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX group_buy_activities_merchant ON group_buy_activities (merchant_id, id);
CREATE INDEX group_buy_activities_product ON group_buy_activities (product_id, ends_at);

CREATE TABLE group_buy_skus (
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    activity_id  BIGINT NOT NULL REFERENCES group_buy_activities(id),
    sku_id       BIGINT NOT NULL REFERENCES skus(id),
    list_price   BIGINT NOT NULL CHECK (list_price >= 1),
    group_price  BIGINT NOT NULL CHECK (group_price >= 1 AND group_price <= list_price),
    PRIMARY KEY (activity_id, sku_id)
);

-- A group: seats counts the members holding a seat (paid, or an order awaiting payment); it never passes
-- the size, which is what the guarded update of a join checks.
CREATE TABLE group_buy_groups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    activity_id     BIGINT NOT NULL REFERENCES group_buy_activities(id),
    product_id      BIGINT NOT NULL REFERENCES products(id),
    leader_buyer_id BIGINT NOT NULL REFERENCES buyers(id),
    size            BIGINT NOT NULL CHECK (size >= 2),
    seats           BIGINT NOT NULL DEFAULT 0 CHECK (seats >= 0),
    paid            BIGINT NOT NULL DEFAULT 0 CHECK (paid >= 0),
    mock_seats      BIGINT NOT NULL DEFAULT 0 CHECK (mock_seats >= 0),
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','complete','expired')),
    version         BIGINT NOT NULL DEFAULT 0,
    opened_at       BIGINT NOT NULL,
    deadline        BIGINT NOT NULL,
    closed_at       BIGINT,
    CHECK (seats + mock_seats <= size),
    CHECK (paid <= seats)
);
CREATE INDEX group_buy_groups_activity ON group_buy_groups (activity_id, status, deadline);
CREATE INDEX group_buy_groups_merchant ON group_buy_groups (merchant_id, id);

-- Every order placed into a group. A buyer holds at most one seat in a group.
CREATE TABLE group_buy_members (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    group_id      BIGINT NOT NULL REFERENCES group_buy_groups(id),
    activity_id   BIGINT NOT NULL REFERENCES group_buy_activities(id),
    buyer_id      BIGINT NOT NULL REFERENCES buyers(id),
    order_id      BIGINT NOT NULL UNIQUE REFERENCES orders(id),
    leader        INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL CHECK (state IN ('awaiting_payment','paid','lapsed','refund_due')),
    refund_reason TEXT CHECK (refund_reason IN ('group_expired','seat_released','group_closed')),
    joined_at     BIGINT NOT NULL,
    CHECK ((state = 'refund_due') = (refund_reason IS NOT NULL))
);
CREATE INDEX group_buy_members_group ON group_buy_members (group_id, id);
CREATE INDEX group_buy_members_buyer ON group_buy_members (buyer_id, activity_id);
CREATE UNIQUE INDEX group_buy_members_one_seat ON group_buy_members (group_id, buyer_id)
    WHERE state IN ('awaiting_payment','paid');
