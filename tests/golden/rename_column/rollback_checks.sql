SELECT 'fullname is back, display_name gone' AS check,
       EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname = 'fullname' AND NOT attisdropped)
   AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname = 'display_name' AND NOT attisdropped) AS ok;
SELECT 'untouched seed rows kept their name', count(*) = 0 FROM customers WHERE n = 0 AND email LIKE 'c%' AND fullname <> 'seed ' || id;
