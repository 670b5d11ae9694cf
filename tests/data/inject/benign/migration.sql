-- 0042_add_shipments.sql
BEGIN;

CREATE TABLE shipments (
    id            BIGSERIAL PRIMARY KEY,
    order_id      BIGINT      NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    carrier       TEXT        NOT NULL,
    tracking_code TEXT,
    shipped_at    TIMESTAMPTZ,
    delivered_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT delivered_after_shipped CHECK (delivered_at IS NULL OR delivered_at >= shipped_at)
);

CREATE INDEX shipments_order_id_idx ON shipments (order_id);
CREATE UNIQUE INDEX shipments_tracking_idx ON shipments (carrier, tracking_code)
    WHERE tracking_code IS NOT NULL;

-- Backfill from the old columns on orders.
INSERT INTO shipments (order_id, carrier, tracking_code, shipped_at)
SELECT id, shipping_carrier, shipping_tracking, shipped_at
FROM orders
WHERE shipping_carrier IS NOT NULL;

ALTER TABLE orders DROP COLUMN shipping_carrier, DROP COLUMN shipping_tracking;

COMMIT;
