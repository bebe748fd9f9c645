-- Operating expenses the owner enters per month and category, each posted to the journal (voided by a
-- correction of its posting); the staff count per month for revenue per staff member; the results of
-- provider statement reconciliations (imported by a person or run by the daily job); entries by day for
-- reports by product and promotion.

CREATE TABLE operating_expenses (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    month           BIGINT NOT NULL CHECK (month >= 200001 AND month <= 209912),
    category        TEXT NOT NULL CHECK (category IN ('rent','labour','office','utilities','marketing','logistics','other')),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    paid            INTEGER NOT NULL CHECK (paid IN (0,1)),
    memo            TEXT NOT NULL DEFAULT '',
    posting_id      BIGINT REFERENCES journal_postings(id),
    created_by      BIGINT REFERENCES admin_users(id),
    created_at      BIGINT NOT NULL,
    voided_at       BIGINT,
    void_reason     TEXT,
    void_posting_id BIGINT REFERENCES journal_postings(id)
);
CREATE INDEX operating_expenses_month ON operating_expenses (merchant_id, month, id);

CREATE TABLE staff_counts (
    merchant_id BIGINT NOT NULL REFERENCES merchants(id),
    month       BIGINT NOT NULL CHECK (month >= 200001 AND month <= 209912),
    staff       BIGINT NOT NULL CHECK (staff >= 0),
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, month)
);

CREATE TABLE reconciliations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    provider        TEXT NOT NULL,
    day             BIGINT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('import','job')),
    statement_lines BIGINT NOT NULL,
    recorded_lines  BIGINT NOT NULL,
    matched         BIGINT NOT NULL,
    missing         BIGINT NOT NULL,
    extra           BIGINT NOT NULL,
    mismatched      BIGINT NOT NULL,
    findings        TEXT NOT NULL DEFAULT '[]',
    actor_id        BIGINT REFERENCES admin_users(id),
    created_at      BIGINT NOT NULL
);
CREATE INDEX reconciliations_day ON reconciliations (merchant_id, day, id);

CREATE INDEX journal_entries_day ON journal_entries (merchant_id, day);
