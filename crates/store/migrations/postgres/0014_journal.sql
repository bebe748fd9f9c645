-- The journal (double-entry bookkeeping). A chart of accounts per merchant; postings, each a set of entries
-- that sums to zero per unit (checked by the domain before any write); running balances per account, spread
-- over a few slots so that concurrent postings do not all wait on one row (an account that may not go
-- negative keeps one slot, so its guard sees the whole balance); and per-day totals per account and slot,
-- which reports read instead of the entries.

CREATE TABLE journal_accounts (
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    code            TEXT NOT NULL,
    unit            TEXT NOT NULL CHECK (unit IN ('fen','points')),
    kind            TEXT NOT NULL CHECK (kind IN ('asset','liability','equity','revenue','contra_revenue','expense')),
    normal_side     TEXT NOT NULL CHECK (normal_side IN ('debit','credit')),
    may_go_negative INTEGER NOT NULL CHECK (may_go_negative IN (0,1)),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, code)
);

CREATE TABLE journal_balances (
    merchant_id     BIGINT NOT NULL,
    account         TEXT NOT NULL,
    slot            INTEGER NOT NULL CHECK (slot >= 0 AND slot < 8),
    normal_side     TEXT NOT NULL CHECK (normal_side IN ('debit','credit')),
    may_go_negative INTEGER NOT NULL CHECK (may_go_negative IN (0,1)),
    debits          BIGINT NOT NULL DEFAULT 0 CHECK (debits >= 0),
    credits         BIGINT NOT NULL DEFAULT 0 CHECK (credits >= 0),
    balance         BIGINT NOT NULL DEFAULT 0,
    entry_count     BIGINT NOT NULL DEFAULT 0 CHECK (entry_count >= 0),
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, account, slot),
    FOREIGN KEY (merchant_id, account) REFERENCES journal_accounts (merchant_id, code),
    CHECK (balance = CASE normal_side WHEN 'debit' THEN debits - credits ELSE credits - debits END),
    CHECK (may_go_negative = 1 OR (slot = 0 AND balance >= 0))
);

CREATE TABLE journal_postings (
    id          BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    kind        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    corrects    BIGINT REFERENCES journal_postings(id),
    memo        TEXT NOT NULL DEFAULT '',
    actor_id    BIGINT REFERENCES admin_users(id),
    at          BIGINT NOT NULL,
    day         BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (merchant_id, kind, reference),
    CHECK ((kind = 'correction') = (corrects IS NOT NULL))
);
CREATE INDEX journal_postings_at ON journal_postings (merchant_id, at, id);

CREATE TABLE journal_entries (
    id          BIGSERIAL PRIMARY KEY,
    merchant_id BIGINT NOT NULL,
    posting_id  BIGINT NOT NULL REFERENCES journal_postings(id),
    account     TEXT NOT NULL,
    unit        TEXT NOT NULL CHECK (unit IN ('fen','points')),
    amount      BIGINT NOT NULL CHECK (amount <> 0),
    product_id  BIGINT,
    promotion   TEXT,
    at          BIGINT NOT NULL,
    day         BIGINT NOT NULL,
    FOREIGN KEY (merchant_id, account) REFERENCES journal_accounts (merchant_id, code)
);
CREATE INDEX journal_entries_posting ON journal_entries (posting_id);
CREATE INDEX journal_entries_account ON journal_entries (merchant_id, account, id);

CREATE TABLE journal_daily (
    merchant_id BIGINT NOT NULL,
    account     TEXT NOT NULL,
    day         BIGINT NOT NULL,
    slot        INTEGER NOT NULL CHECK (slot >= 0 AND slot < 8),
    debits      BIGINT NOT NULL DEFAULT 0 CHECK (debits >= 0),
    credits     BIGINT NOT NULL DEFAULT 0 CHECK (credits >= 0),
    entry_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, account, day, slot),
    FOREIGN KEY (merchant_id, account) REFERENCES journal_accounts (merchant_id, code)
);
