SELECT 'name is text' AS check, format_type(atttypid, atttypmod) = 'text' AS ok
  FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'name';
SELECT 'name keeps collation C' AS check, c.collname = 'C' AS ok
  FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
 WHERE a.attrelid = 'accounts'::regclass AND a.attname = 'name';
SELECT 'email keeps collation C' AS check, c.collname = 'C' AS ok
  FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
 WHERE a.attrelid = 'accounts'::regclass AND a.attname = 'email';
SELECT 'nick has collation C' AS check, c.collname = 'C' AS ok
  FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
 WHERE a.attrelid = 'accounts'::regclass AND a.attname = 'nick';
