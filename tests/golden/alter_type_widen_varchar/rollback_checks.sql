SELECT 'handle is varchar(20) again' AS check,
       format_type(atttypid, atttypmod) = 'character varying(20)' AS ok
  FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'handle';
SELECT 'no handle lost', count(*) = 0 FROM accounts WHERE handle IS NULL;
