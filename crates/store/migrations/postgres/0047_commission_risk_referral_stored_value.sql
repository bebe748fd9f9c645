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

ALTER TABLE commissions DROP CONSTRAINT commissions_status_check;
ALTER TABLE commissions ADD CONSTRAINT commissions_status_check
    CHECK (status IN ('frozen','held','settled','rejected'));
-- The risk check's reason codes, separated by commas (kept after the review).
ALTER TABLE commissions ADD COLUMN hold_reasons TEXT NOT NULL DEFAULT '';
ALTER TABLE commissions ADD COLUMN reviewed_by BIGINT;
ALTER TABLE commissions ADD COLUMN reviewed_at BIGINT;
ALTER TABLE commissions ADD CONSTRAINT commissions_rejected_check CHECK (status <> 'rejected' OR reversed = amount);
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

ALTER TABLE stored_value_moves DROP CONSTRAINT stored_value_moves_reason_check;
ALTER TABLE stored_value_moves ADD CONSTRAINT stored_value_moves_reason_check
    CHECK (reason IN ('withdrawal_paid', 'debt_settled', 'order_paid', 'order_refunded', 'counter', 'goodwill', 'referral_reward', 'referral_reversed'));
