-- The three columns by hand: account_id with its foreign key in place (a
-- NULL default), code and qty through the 12 steps (SQLite's ADD COLUMN
-- takes no UNIQUE; the CHECK goes in the same rebuild).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_orders (id INTEGER NOT NULL, total NUMERIC(12,2) NOT NULL DEFAULT 0,
    n INTEGER NOT NULL DEFAULT 0, account_id BIGINT, code TEXT, qty INTEGER DEFAULT 1,
    CONSTRAINT orders_pkey PRIMARY KEY (id),
    CONSTRAINT orders_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE SET NULL,
    CONSTRAINT orders_code_key UNIQUE (code), CONSTRAINT orders_qty_check CHECK (qty > 0));
INSERT INTO new_orders (id, total, n, code) SELECT id, total, n, 'o-' || id FROM orders;
DROP TABLE orders;
ALTER TABLE new_orders RENAME TO orders;
COMMIT;
PRAGMA foreign_keys = ON;
