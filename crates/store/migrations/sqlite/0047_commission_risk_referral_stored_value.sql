-- Risk control of commissions and stored-value referral rewards.
--
-- A commission the risk check holds at payment (the buyer shares a phone, address, device or payment account
-- with the promoter, many of the promoter's buyers share one, or the promoter is past the day's limit of
-- orders) is `held`: accrued and frozen like any other, but not settled until an operator releases it
-- (frozen again) or rejects it (`rejected`: reversed in full by a new posting). The hold's reason codes and the
-- reviewer are kept on the row. `commission_marks` keeps the fingerprints of each promoter's buyers for the
-- check's counts; the shop sets the check's limits in its distribution settings.
--
-- Referral rewards may also be paid in stored value (fen) to either side; a movement of stored value names
-- them as `referral_reward`, and `referral_reversed` when a refunded first order takes them back.

CREATE TABLE commissions_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    promoter_id  BIGINT NOT NULL REFERENCES promoters(id),
    order_id     BIGINT NOT NULL REFERENCES orders(id),
    line_id      BIGINT NOT NULL REFERENCES order_lines(id),
    product_id   BIGINT NOT NULL,
    buyer_id     BIGINT NOT NULL REFERENCES buyers(id),
    tier         TEXT NOT NULL CHECK (tier IN ('direct','leader')),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    base         BIGINT NOT NULL CHECK (base >= 0),
    refunded     BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= base),
    reversed     BIGINT NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= amount),
    status       TEXT NOT NULL CHECK (status IN ('frozen','held','settled','rejected')),
    created_at   BIGINT NOT NULL,
    settled_at   BIGINT,
    -- The risk check's reason codes, separated by commas (kept after the review).
    hold_reasons TEXT NOT NULL DEFAULT '',
    reviewed_by  BIGINT,
    reviewed_at  BIGINT,
    CHECK (status <> 'rejected' OR reversed = amount)
);
INSERT INTO commissions_new (id, merchant_id, promoter_id, order_id, line_id, product_id, buyer_id, tier, amount, base,
        refunded, reversed, status, created_at, settled_at)
    SELECT id, merchant_id, promoter_id, order_id, line_id, product_id, buyer_id, tier, amount, base, refunded,
        reversed, status, created_at, settled_at FROM commissions;
DROP TABLE commissions;
ALTER TABLE commissions_new RENAME TO commissions;
CREATE UNIQUE INDEX commissions_line_tier ON commissions (line_id, tier);
CREATE INDEX commissions_promoter ON commissions (promoter_id, id);
CREATE INDEX commissions_order ON commissions (order_id);
CREATE INDEX commissions_status ON commissions (merchant_id, status, id);

CREATE TABLE commission_marks (
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    promoter_id BIGINT NOT NULL REFERENCES promoters(id),
    kind        TEXT NOT NULL CHECK (kind IN ('phone','address','device','payment_account')),
    mark        TEXT NOT NULL,
    buyer_id    BIGINT NOT NULL REFERENCES buyers(id),
    PRIMARY KEY (merchant_id, promoter_id, kind, mark, buyer_id)
);

ALTER TABLE distribution_settings ADD COLUMN risk_daily_limit BIGINT NOT NULL DEFAULT 50 CHECK (risk_daily_limit >= 1);
ALTER TABLE distribution_settings ADD COLUMN risk_crowd_limit BIGINT NOT NULL DEFAULT 3 CHECK (risk_crowd_limit >= 1);

ALTER TABLE referral_settings ADD COLUMN inviter_stored_value BIGINT NOT NULL DEFAULT 0 CHECK (inviter_stored_value >= 0);
ALTER TABLE referral_settings ADD COLUMN invitee_stored_value BIGINT NOT NULL DEFAULT 0 CHECK (invitee_stored_value >= 0);
-- What a granted invitation credited each side's stored value (fen), and what a reversal took back.
ALTER TABLE referrals ADD COLUMN inviter_stored_value BIGINT NOT NULL DEFAULT 0;
ALTER TABLE referrals ADD COLUMN invitee_stored_value BIGINT NOT NULL DEFAULT 0;
ALTER TABLE referrals ADD COLUMN stored_value_taken_back BIGINT NOT NULL DEFAULT 0;

CREATE TABLE stored_value_moves_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id        BIGINT NOT NULL REFERENCES buyers(id),
    delta           BIGINT NOT NULL CHECK (delta <> 0),
    balance_after   BIGINT NOT NULL CHECK (balance_after >= 0),
    reason          TEXT NOT NULL CHECK (reason IN ('withdrawal_paid', 'debt_settled', 'order_paid', 'order_refunded', 'counter', 'goodwill', 'referral_reward', 'referral_reversed')),
    reference       TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    posting_id      BIGINT REFERENCES journal_postings(id),
    by_admin        BIGINT,
    at              BIGINT NOT NULL
);
INSERT INTO stored_value_moves_new (id, merchant_id, buyer_id, delta, balance_after, reason, reference, note, posting_id,
        by_admin, at)
    SELECT id, merchant_id, buyer_id, delta, balance_after, reason, reference, note, posting_id, by_admin, at
    FROM stored_value_moves;
DROP TABLE stored_value_moves;
ALTER TABLE stored_value_moves_new RENAME TO stored_value_moves;
CREATE INDEX stored_value_moves_buyer ON stored_value_moves (buyer_id, id);
