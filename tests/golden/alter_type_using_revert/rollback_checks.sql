SELECT 'amount is text again' AS check, format_type(atttypid, atttypmod) = 'text' AS ok
  FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'amount';
SELECT 'every amount reads as money text', count(*) = 0 FROM orders WHERE amount !~ '^[0-9]+\.[0-9][0-9]$';
SELECT 'untouched seed amounts unchanged', count(*) = 0
  FROM orders WHERE label = 'seed' AND n = 0
   AND amount IS DISTINCT FROM CASE WHEN id % 10 = 0 THEN NULL ELSE to_char(id / 100.0, 'FM999999990.00') END;
