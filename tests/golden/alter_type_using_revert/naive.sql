ALTER TABLE orders ALTER COLUMN amount TYPE int USING (round(amount::numeric * 100))::int;
