-- Logistics: a shipment's timeline as the merchant records it (揽收, 运输中, 派送中, 已签收, 异常).

CREATE TABLE shipment_tracks (
    id           BIGSERIAL PRIMARY KEY,
    merchant_id  BIGINT NOT NULL REFERENCES merchants(id),
    shipment_id  BIGINT NOT NULL REFERENCES shipments(id),
    at           BIGINT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('collected', 'in_transit', 'delivering', 'delivered', 'exception')),
    text         TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX shipment_tracks_shipment ON shipment_tracks (shipment_id, at);
