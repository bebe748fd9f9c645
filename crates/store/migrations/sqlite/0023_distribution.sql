-- Distribution (分销): the shop's settings, promoters (an application is the promoter's row while pending),
-- buyers' bindings to promoters, commissions per order line and promoter, and withdrawals. A promoter's row
-- holds its commission sub-ledger (frozen, available, withdrawing, owed, paid out); the journal's commission
-- accounts always equal the sums of these columns.

CREATE TABLE distribution_settings (
    merchant_id    BIGINT PRIMARY KEY REFERENCES merchants(id),
    approval       TEXT NOT NULL DEFAULT 'manual' CHECK (approval IN ('manual','automatic')),
    min_spend      BIGINT CHECK (min_spend >= 0),
    min_level_rank BIGINT CHECK (min_level_rank >= 0),
    touch          TEXT NOT NULL DEFAULT 'first' CHECK (touch IN ('first','last')),
    binding_days   BIGINT CHECK (binding_days >= 1),
    settle_days    BIGINT NOT NULL DEFAULT 7 CHECK (settle_days >= 0),
    rules          TEXT NOT NULL DEFAULT '{}',
    withdrawal_min BIGINT NOT NULL DEFAULT 100 CHECK (withdrawal_min >= 1),
    withdrawal_max BIGINT NOT NULL DEFAULT 2000000 CHECK (withdrawal_max >= withdrawal_min),
    updated_at     BIGINT NOT NULL
);

CREATE TABLE promoters (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id      BIGINT NOT NULL REFERENCES buyers(id),
    code          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending','active','rejected','suspended')),
    real_name     TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    decision_note TEXT NOT NULL DEFAULT '',
    frozen        BIGINT NOT NULL DEFAULT 0 CHECK (frozen >= 0),
    available     BIGINT NOT NULL DEFAULT 0 CHECK (available >= 0),
    withdrawing   BIGINT NOT NULL DEFAULT 0 CHECK (withdrawing >= 0),
    owed          BIGINT NOT NULL DEFAULT 0 CHECK (owed >= 0),
    paid_out      BIGINT NOT NULL DEFAULT 0 CHECK (paid_out >= 0),
    version       BIGINT NOT NULL DEFAULT 0,
    applied_at    BIGINT NOT NULL,
    decided_at    BIGINT,
    CHECK (owed = 0 OR available = 0)
);
CREATE UNIQUE INDEX promoters_buyer ON promoters (merchant_id, buyer_id);
CREATE UNIQUE INDEX promoters_code ON promoters (merchant_id, code);
CREATE INDEX promoters_status ON promoters (merchant_id, status, id);

-- A buyer's binding to a promoter: one per buyer, replaced on a new binding.
CREATE TABLE promoter_bindings (
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id    BIGINT NOT NULL REFERENCES buyers(id),
    promoter_id BIGINT NOT NULL REFERENCES promoters(id),
    source      TEXT NOT NULL CHECK (source IN ('link','poster','code')),
    bound_at    BIGINT NOT NULL,
    expires_at  BIGINT,
    PRIMARY KEY (merchant_id, buyer_id)
);
CREATE INDEX promoter_bindings_promoter ON promoter_bindings (promoter_id, bound_at);

-- What one order line earned one promoter. The amount never changes: refunds add to refunded and reversed.
CREATE TABLE commissions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    promoter_id BIGINT NOT NULL REFERENCES promoters(id),
    order_id    BIGINT NOT NULL REFERENCES orders(id),
    line_id     BIGINT NOT NULL REFERENCES order_lines(id),
    product_id  BIGINT NOT NULL,
    buyer_id    BIGINT NOT NULL REFERENCES buyers(id),
    tier        TEXT NOT NULL CHECK (tier IN ('direct','leader')),
    amount      BIGINT NOT NULL CHECK (amount > 0),
    base        BIGINT NOT NULL CHECK (base >= 0),
    refunded    BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= base),
    reversed    BIGINT NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= amount),
    status      TEXT NOT NULL CHECK (status IN ('frozen','settled')),
    created_at  BIGINT NOT NULL,
    settled_at  BIGINT
);
CREATE UNIQUE INDEX commissions_line_tier ON commissions (line_id, tier);
CREATE INDEX commissions_promoter ON commissions (promoter_id, id);
CREATE INDEX commissions_order ON commissions (order_id);

CREATE TABLE promoter_withdrawals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    promoter_id  BIGINT NOT NULL REFERENCES promoters(id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    status       TEXT NOT NULL CHECK (status IN ('requested','approved','paid','rejected')),
    payout       TEXT CHECK (payout IN ('stored_value','bank')),
    note         TEXT NOT NULL DEFAULT '',
    requested_at BIGINT NOT NULL,
    decided_at   BIGINT,
    decided_by   BIGINT,
    CHECK ((status = 'paid') = (payout IS NOT NULL))
);
CREATE INDEX promoter_withdrawals_merchant ON promoter_withdrawals (merchant_id, status, id);
CREATE INDEX promoter_withdrawals_promoter ON promoter_withdrawals (promoter_id, id);
