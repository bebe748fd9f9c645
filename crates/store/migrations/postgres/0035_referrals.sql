-- Referral (老带新): the shop's rule, each buyer's invitation code, and one invitation per invitee. An invitation
-- is decided once, when the invitee's first order completes: rewarded (both sides' rewards granted in that
-- transaction), held for review (the risk check's reasons kept), or no reward (the reason kept). A held
-- invitation is released (rewarded) or rejected by an operator; a rewarded one whose order is refunded
-- afterwards is reversed (the points withdrawn by a new posting, unused coupons voided).

CREATE TABLE referral_settings (
    merchant_id       BIGINT PRIMARY KEY REFERENCES merchants(id),
    enabled           INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    inviter_points    BIGINT NOT NULL DEFAULT 0 CHECK (inviter_points >= 0),
    inviter_coupon_id BIGINT,
    invitee_points    BIGINT NOT NULL DEFAULT 0 CHECK (invitee_points >= 0),
    invitee_coupon_id BIGINT,
    min_first_order   BIGINT NOT NULL DEFAULT 0 CHECK (min_first_order >= 0),
    daily_limit       BIGINT NOT NULL DEFAULT 20 CHECK (daily_limit >= 1),
    crowd_limit       BIGINT NOT NULL DEFAULT 3 CHECK (crowd_limit >= 1),
    updated_at        BIGINT NOT NULL
);

CREATE TABLE referral_codes (
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id    BIGINT NOT NULL REFERENCES buyers(id),
    code        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, buyer_id)
);
CREATE UNIQUE INDEX referral_codes_code ON referral_codes (merchant_id, code);

CREATE TABLE referrals (
    id                 BIGSERIAL PRIMARY KEY,
    merchant_id        BIGINT NOT NULL REFERENCES merchants(id),
    inviter_id         BIGINT NOT NULL REFERENCES buyers(id),
    invitee_id         BIGINT NOT NULL REFERENCES buyers(id),
    invited_at         BIGINT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('invited','rewarded','held','rejected','no_reward','reversed')),
    -- The no-reward code, or the hold's reason codes separated by commas.
    reason             TEXT NOT NULL DEFAULT '',
    order_id           BIGINT REFERENCES orders(id),
    decided_at         BIGINT,
    decided_day        BIGINT,
    reviewed_by        BIGINT,
    inviter_points     BIGINT NOT NULL DEFAULT 0,
    invitee_points     BIGINT NOT NULL DEFAULT 0,
    -- What the points were worth when granted (fen): a reversal withdraws them at the same value.
    inviter_points_value BIGINT NOT NULL DEFAULT 0,
    invitee_points_value BIGINT NOT NULL DEFAULT 0,
    inviter_coupon_id  BIGINT,
    invitee_coupon_id  BIGINT,
    CHECK (inviter_id <> invitee_id)
);
CREATE UNIQUE INDEX referrals_invitee ON referrals (merchant_id, invitee_id);
CREATE INDEX referrals_inviter ON referrals (merchant_id, inviter_id, decided_day);
CREATE INDEX referrals_status ON referrals (merchant_id, status, id);

-- The identifiers of decided invitees, as fingerprints (phone, address, device), for the risk check's count of
-- other invitees that share one.
CREATE TABLE referral_marks (
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    kind        TEXT NOT NULL CHECK (kind IN ('phone','address','device')),
    mark        TEXT NOT NULL,
    invitee_id  BIGINT NOT NULL REFERENCES buyers(id),
    PRIMARY KEY (merchant_id, kind, mark, invitee_id)
);
