-- Per product and per promotion totals of the journal, per account, kept in step with every posting so that
-- the finance reports by product and by promotion read a few rows per product instead of every entry.
-- Each movement is added at three spans: its day (span 1), its block of 8 days and its block of 64 days
-- (`start_day` = day − day mod span), so that any period is a handful of blocks at its edges and a few large
-- blocks in between. A product's rows take the entries that name it; a promotion's rows take the entries
-- of every posting that names it, those naming no promotion or this one (what it cost and what it sold).

CREATE TABLE journal_key_totals (
    merchant_id BIGINT NOT NULL,
    dimension   TEXT NOT NULL CHECK (dimension IN ('product','promotion')),
    span        INTEGER NOT NULL CHECK (span IN (1, 8, 64)),
    start_day   BIGINT NOT NULL,
    key         TEXT NOT NULL,
    account     TEXT NOT NULL,
    debits      BIGINT NOT NULL DEFAULT 0 CHECK (debits >= 0),
    credits     BIGINT NOT NULL DEFAULT 0 CHECK (credits >= 0),
    entry_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, dimension, span, start_day, key, account)
);

INSERT INTO journal_key_totals (merchant_id, dimension, span, start_day, key, account, debits, credits, entry_count)
SELECT e.merchant_id, 'product', s.span, e.day - (e.day % s.span), CAST(e.product_id AS TEXT), e.account,
       CAST(SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END) AS BIGINT),
       CAST(SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END) AS BIGINT), COUNT(*)
FROM journal_entries e CROSS JOIN (SELECT 1 AS span UNION ALL SELECT 8 UNION ALL SELECT 64) s
WHERE e.product_id IS NOT NULL
GROUP BY e.merchant_id, s.span, e.day - (e.day % s.span), e.product_id, e.account;

INSERT INTO journal_key_totals (merchant_id, dimension, span, start_day, key, account, debits, credits, entry_count)
SELECT e.merchant_id, 'promotion', s.span, e.day - (e.day % s.span), t.promotion, e.account,
       CAST(SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END) AS BIGINT),
       CAST(SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END) AS BIGINT), COUNT(*)
FROM (SELECT DISTINCT posting_id, promotion FROM journal_entries WHERE promotion IS NOT NULL) t
JOIN journal_entries e ON e.posting_id = t.posting_id
CROSS JOIN (SELECT 1 AS span UNION ALL SELECT 8 UNION ALL SELECT 64) s
WHERE e.promotion IS NULL OR e.promotion = t.promotion
GROUP BY e.merchant_id, s.span, e.day - (e.day % s.span), t.promotion, e.account;
