-- Which activity priced each order line, for per-buyer limits across orders.

ALTER TABLE order_lines ADD COLUMN price_activity_id BIGINT;
