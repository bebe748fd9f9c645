-- Operators (运营) see cost prices only when the shop says so.
ALTER TABLE merchants ADD COLUMN operator_reads_cost INTEGER NOT NULL DEFAULT 0;

-- Dashboard and finance figures are sums over a period by the day an order was paid, a payment or a refund
-- succeeded.
CREATE INDEX orders_paid ON orders (merchant_id, paid_at);
CREATE INDEX payments_succeeded ON payments (merchant_id, succeeded_at);
CREATE INDEX refunds_succeeded ON refunds (merchant_id, succeeded_at);
