SELECT 'handle is varchar(64)' AS check,
       format_type(atttypid, atttypmod) = 'character varying(64)' AS ok
  FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'handle';
SELECT 'the old application renamed rows during the run', count(*) > 0 FROM accounts WHERE handle LIKE 'upd%';
