ALTER TABLE orders ADD COLUMN account_id bigint REFERENCES accounts ON DELETE SET NULL;
ALTER TABLE orders ADD COLUMN code text UNIQUE;
UPDATE orders SET code = 'o-' || id;
ALTER TABLE orders ADD COLUMN qty int DEFAULT 1 CHECK (qty > 0);
