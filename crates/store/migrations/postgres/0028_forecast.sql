-- Forecasting and markdowns: the shop's markdown ladder on the merchant row, and an index of stock receipts so
-- that a SKU's last receipt is found without reading its sales movements.

ALTER TABLE merchants ADD COLUMN markdown_target_bp BIGINT NOT NULL DEFAULT 6000;
ALTER TABLE merchants ADD COLUMN markdown_target_days BIGINT NOT NULL DEFAULT 30;
ALTER TABLE merchants ADD COLUMN markdown_n_days BIGINT NOT NULL DEFAULT 14;
ALTER TABLE merchants ADD COLUMN markdown_margin_floor_bp BIGINT NOT NULL DEFAULT 1000;

CREATE INDEX stock_receipts ON stock_movements (sku_id, id)
    WHERE reason IN ('initial', 'import', 'manual') AND delta > 0;
