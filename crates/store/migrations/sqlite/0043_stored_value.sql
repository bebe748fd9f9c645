-- Stored value (储值 / 余额): each buyer's balance, the sub-ledger of the journal's buyer stored value account.
-- A balance moves only together with a posting on that account, in the same transaction, and never goes
-- below zero. Every movement is kept with the balance after it, why it moved and the posting it came with.

CREATE TABLE stored_value_balances (
    buyer_id        BIGINT PRIMARY KEY REFERENCES buyers(id),
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    balance         BIGINT NOT NULL CHECK (balance >= 0)
);
CREATE INDEX stored_value_balances_merchant ON stored_value_balances (merchant_id);

CREATE TABLE stored_value_moves (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id     BIGINT NOT NULL REFERENCES merchants(id),
    buyer_id        BIGINT NOT NULL REFERENCES buyers(id),
    delta           BIGINT NOT NULL CHECK (delta <> 0),
    balance_after   BIGINT NOT NULL CHECK (balance_after >= 0),
    reason          TEXT NOT NULL CHECK (reason IN ('withdrawal_paid', 'debt_settled', 'order_paid', 'order_refunded', 'counter', 'goodwill')),
    reference       TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    posting_id      BIGINT REFERENCES journal_postings(id),
    by_admin        BIGINT,
    at              BIGINT NOT NULL
);
CREATE INDEX stored_value_moves_buyer ON stored_value_moves (buyer_id, id);
