-- What each completed order counted towards its buyer's membership (spend and points earned), and what
-- refunds after completion took back of it, so that a reversal is in proportion and never exceeds the grant.

CREATE TABLE member_order_credits (
    order_id            BIGINT PRIMARY KEY REFERENCES orders(id),
    merchant_id         BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id            BIGINT NOT NULL REFERENCES buyers(id),
    spend_fen           BIGINT NOT NULL CHECK (spend_fen >= 0),
    points              BIGINT NOT NULL CHECK (points >= 0),
    refunded_fen        BIGINT NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0),
    reversed_spend_fen  BIGINT NOT NULL DEFAULT 0 CHECK (reversed_spend_fen >= 0 AND reversed_spend_fen <= spend_fen),
    reversed_points     BIGINT NOT NULL DEFAULT 0 CHECK (reversed_points >= 0 AND reversed_points <= points),
    at                  BIGINT NOT NULL
);
CREATE INDEX member_order_credits_buyer ON member_order_credits (merchant_id, buyer_id);
