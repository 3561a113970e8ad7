PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_orders (id INTEGER NOT NULL, account_id BIGINT NOT NULL, total NUMERIC(12,2) NOT NULL DEFAULT 0,
    n INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (id), FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE);
INSERT INTO new_orders SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE new_orders RENAME TO orders;
PRAGMA foreign_key_check;
COMMIT;
