-- The change as one would naively write it.
ALTER TABLE orders ADD COLUMN archived boolean NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN currency char(3) DEFAULT 'EUR';
ALTER TABLE orders ADD COLUMN tags text[];
ALTER TABLE orders ALTER COLUMN total SET NOT NULL;
CREATE INDEX orders_placed_idx ON orders (placed_at DESC, id) WHERE (note IS NOT NULL);
CREATE INDEX orders_lower_note ON orders ((lower(note)));
DROP INDEX orders_account_idx;
CREATE TABLE audit_log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id int REFERENCES orders, payload jsonb, at timestamptz DEFAULT now());
ALTER TABLE accounts ADD COLUMN email_domain text;
UPDATE accounts SET email_domain = split_part(owner_email, '@', 2) WHERE owner_email LIKE '%@%';
