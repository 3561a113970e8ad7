ALTER TABLE orders DROP CONSTRAINT orders_account_id_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_code_key;
ALTER TABLE orders DROP CONSTRAINT orders_qty_check;
