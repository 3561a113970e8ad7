SELECT 'nick is gone, age is integer' AS check,
       NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'members'::regclass AND attname = 'nick' AND NOT attisdropped)
   AND (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'members'::regclass AND attname = 'age') = 'integer' AS ok;
SELECT 'every email_domain right', count(*) = 0 FROM members WHERE email_domain IS DISTINCT FROM split_part(email, '@', 2);
SELECT 'untouched seed rows kept handle and age', count(*) = 0 FROM members
 WHERE n = 0 AND email LIKE 'm%' AND (handle <> 'nick' || id OR age IS DISTINCT FROM CASE WHEN id % 5 = 0 THEN NULL ELSE (id % 90)::int END);
SELECT 'handles the old application wrote arrived', count(*) > 0 FROM members WHERE handle LIKE 'oldupd%' OR handle LIKE 'oldnick%';
SELECT 'ages the old application wrote arrived', count(*) = 0 FROM members WHERE email LIKE 'u%@upd.example' AND age IS NULL;
SELECT 'index members_nick is on handle', EXISTS (
  SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
   WHERE i.indexrelid = 'members_nick'::regclass AND i.indisvalid AND a.attname = 'handle');
