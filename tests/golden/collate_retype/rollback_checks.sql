SELECT 'name is varchar(100) again' AS check,
       format_type(atttypid, atttypmod) = 'character varying(100)' AS ok
  FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'name';
SELECT 'name keeps collation C after the rollback' AS check, c.collname = 'C' AS ok
  FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
 WHERE a.attrelid = 'accounts'::regclass AND a.attname = 'name';
SELECT 'no name lost', count(*) = 0 FROM accounts WHERE name IS NULL;
