-- Flash rows are found by sale (the gate's snapshot and totals), never by sale and buyer together: an index
-- in insertion order within a sale takes each batch of a sale at its end, instead of one page per buyer.
DROP INDEX flash_orders_sale;
CREATE INDEX flash_orders_sale ON flash_orders (sale_id, id);
