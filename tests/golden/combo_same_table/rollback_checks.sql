SELECT 'nick and text age are back' AS check,
       EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'members'::regclass AND attname = 'nick' AND NOT attisdropped)
   AND (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'members'::regclass AND attname = 'age') = 'text' AS ok;
SELECT 'untouched seed rows kept nick and age', count(*) = 0 FROM members
 WHERE n = 0 AND email LIKE 'm%' AND (nick <> 'nick' || id OR age IS DISTINCT FROM CASE WHEN id % 5 = 0 THEN NULL ELSE (id % 90)::text END);
