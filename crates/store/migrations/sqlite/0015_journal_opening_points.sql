-- The shop's payment fee settings per provider (rate in basis points, and whether a refund gives the fee
-- back); a shipment's cost as entered; and the points buyers already held when the journal started.

CREATE TABLE payment_fee_settings (
    merchant_id      BIGINT NOT NULL REFERENCES merchants(id),
    provider         TEXT NOT NULL,
    fee_basis_points INTEGER NOT NULL CHECK (fee_basis_points >= 0 AND fee_basis_points <= 1000),
    refund_fee       TEXT NOT NULL CHECK (refund_fee IN ('returned','kept')),
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, provider)
);

ALTER TABLE shipments ADD COLUMN cost BIGINT NOT NULL DEFAULT 0 CHECK (cost >= 0);

-- Points buyers already held when the journal started: one opening posting per merchant (points granted
-- against the points liability), so that the liability equals the buyers' balances from the first day and
-- spending those points never takes it below zero.

INSERT INTO journal_accounts (merchant_id, code, unit, kind, normal_side, may_go_negative, created_at)
SELECT merchant_id, 'points_liability', 'points', 'liability', 'credit', 0, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM points_balances GROUP BY merchant_id HAVING SUM(balance) > 0;

INSERT INTO journal_accounts (merchant_id, code, unit, kind, normal_side, may_go_negative, created_at)
SELECT merchant_id, 'points_granted', 'points', 'expense', 'debit', 1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM points_balances GROUP BY merchant_id HAVING SUM(balance) > 0;

INSERT INTO journal_postings (merchant_id, kind, reference, memo, at, day, created_at)
SELECT merchant_id, 'opening_balance', 'points', 'points held when the journal started',
       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),
       (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) + 28800000) / 86400000,
       CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM points_balances GROUP BY merchant_id HAVING SUM(balance) > 0;

INSERT INTO journal_entries (merchant_id, posting_id, account, unit, amount, at, day)
SELECT p.merchant_id, p.id, 'points_granted', 'points', t.total, p.at, p.day
FROM journal_postings p JOIN (SELECT merchant_id, CAST(SUM(balance) AS BIGINT) AS total FROM points_balances GROUP BY merchant_id) t
  ON t.merchant_id = p.merchant_id
WHERE p.kind = 'opening_balance' AND p.reference = 'points';

INSERT INTO journal_entries (merchant_id, posting_id, account, unit, amount, at, day)
SELECT p.merchant_id, p.id, 'points_liability', 'points', -t.total, p.at, p.day
FROM journal_postings p JOIN (SELECT merchant_id, CAST(SUM(balance) AS BIGINT) AS total FROM points_balances GROUP BY merchant_id) t
  ON t.merchant_id = p.merchant_id
WHERE p.kind = 'opening_balance' AND p.reference = 'points';

INSERT INTO journal_balances (merchant_id, account, slot, normal_side, may_go_negative, debits, credits, balance, entry_count, updated_at)
SELECT e.merchant_id, e.account, 0, a.normal_side, a.may_go_negative,
       CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END, CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END,
       CASE a.normal_side WHEN 'debit' THEN e.amount ELSE -e.amount END, 1, e.at
FROM journal_entries e JOIN journal_postings p ON p.id = e.posting_id
JOIN journal_accounts a ON a.merchant_id = e.merchant_id AND a.code = e.account
WHERE p.kind = 'opening_balance' AND p.reference = 'points';

INSERT INTO journal_daily (merchant_id, account, day, slot, debits, credits, entry_count)
SELECT e.merchant_id, e.account, e.day, 0,
       CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END, CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END, 1
FROM journal_entries e JOIN journal_postings p ON p.id = e.posting_id
WHERE p.kind = 'opening_balance' AND p.reference = 'points';
