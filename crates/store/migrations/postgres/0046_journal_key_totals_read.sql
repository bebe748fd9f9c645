-- The per product and per promotion finance reports read, for each block of days of their period, every row
-- of the block: an index holding the figures too answers them from the index alone, without a lookup of each
-- row in the table.
CREATE INDEX journal_key_totals_read
    ON journal_key_totals (merchant_id, dimension, span, start_day, key, account, debits, credits);
