-- Every seeded row's amount converted to cents, whether the batches copied
-- it or a copy trigger did (the writer updated rows all over the table).
SELECT 'seeded amounts in cents', count(*) = 0 FROM orders
 WHERE label LIKE 'order %' AND amount IS NOT CAST(round(id / 4.0 * 100) AS INTEGER);
SELECT 'rows the writer updated are there', count(*) > 0 FROM orders WHERE n > 0 AND label LIKE 'order %';
SELECT 'amount is an integer everywhere', count(*) = 0 FROM orders WHERE typeof(amount) NOT IN ('integer', 'null');
SELECT 'no copy left behind', count(*) = 0 FROM sqlite_schema WHERE name LIKE 'zdm\_copy\_%' ESCAPE '\' OR name LIKE 'zdm\_new\_%' ESCAPE '\';
