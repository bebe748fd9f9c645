-- The yearly re-evaluation of levels (off until the shop turns it on): once a year every member's level is
-- evaluated again on the last 12 months' completed spend and points, and may go down. What came before
-- those 12 months stops counting towards the level (`level_base_*`, subtracted from the lifetime totals,
-- which segments keep reading whole); `reviewed_year` makes each buyer's review of a year happen once.

ALTER TABLE member_settings ADD COLUMN yearly_review INTEGER NOT NULL DEFAULT 0 CHECK (yearly_review IN (0, 1));
ALTER TABLE member_profiles ADD COLUMN level_base_spend_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE member_profiles ADD COLUMN level_base_points BIGINT NOT NULL DEFAULT 0;
ALTER TABLE member_profiles ADD COLUMN reviewed_year INTEGER;
CREATE INDEX member_order_credits_at ON member_order_credits (buyer_id, at);
