SELECT 'amount is integer' AS check, format_type(atttypid, atttypmod) = 'integer' AS ok
  FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'amount';
SELECT 'seed amounts converted to cents', count(*) = 0
  FROM orders WHERE label = 'seed' AND n = 0 AND amount IS DISTINCT FROM CASE WHEN id % 10 = 0 THEN NULL ELSE id END;
SELECT 'rows the old application wrote were converted', count(*) = 0
  FROM orders WHERE label = 'old' AND amount % 100 <> 25;
SELECT 'some old rows', count(*) > 0 FROM orders WHERE label = 'old';
