PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_orders (id INTEGER NOT NULL, label TEXT NOT NULL, amount INTEGER, n INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT orders_pkey PRIMARY KEY (id));
INSERT INTO new_orders SELECT id, label, CAST(round(CAST(amount AS REAL) * 100) AS INTEGER), n FROM orders;
DROP TABLE orders;
ALTER TABLE new_orders RENAME TO orders;
CREATE INDEX orders_amount ON orders (amount);
COMMIT;
PRAGMA foreign_keys = ON;
