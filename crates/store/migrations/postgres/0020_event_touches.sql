-- The touches an order is attributed to: a buyer's latest storefront event (channel, campaign, promoter when the
-- order is placed) and an order's own events (a payment or refund carries the channel its order was placed from).
CREATE INDEX events_buyer ON events (merchant_id, buyer_id, id) WHERE buyer_id IS NOT NULL;
CREATE INDEX events_order ON events (merchant_id, order_id) WHERE order_id IS NOT NULL;
