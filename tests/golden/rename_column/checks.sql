SELECT 'fullname is gone' AS check, NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname = 'fullname' AND NOT attisdropped) AS ok;
SELECT 'no display_name is NULL', count(*) = 0 FROM customers WHERE display_name IS NULL;
SELECT 'untouched seed rows kept their name', count(*) = 0 FROM customers WHERE n = 0 AND email LIKE 'c%' AND display_name <> 'seed ' || id;
SELECT 'names the old application wrote arrived', count(*) > 0 FROM customers WHERE display_name LIKE 'old renamed %';
SELECT 'names the new application wrote are there', count(*) > 0 FROM customers WHERE display_name LIKE 'new renamed %';
SELECT 'names the old application inserted arrived', count(*) > 0 FROM customers WHERE email LIKE 'old%' AND display_name = 'old ' || substr(email, 4, strpos(email, '@') - 4);
SELECT 'new inserts without a name got the default', count(*) > 0 FROM customers WHERE email LIKE 'new%' AND display_name = 'anonymous';
SELECT 'index customers_fullname is on display_name', EXISTS (
  SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
   WHERE i.indexrelid = 'customers_fullname'::regclass AND i.indisvalid AND a.attname = 'display_name');
