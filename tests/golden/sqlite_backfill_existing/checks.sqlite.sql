-- Every seeded row normalised, the writer's rows untouched (no sync trigger:
-- the old application's writes win), and the backup gone after contract.
SELECT 'seeded emails normalised', count(*) = 0 FROM users
 WHERE label LIKE 'user %' AND email IS NOT lower(trim(email));
SELECT 'blank emails emptied', count(*) = 0 FROM users
 WHERE label LIKE 'user %' AND CAST(substr(label, 6) AS INTEGER) % 11 = 0
   AND CAST(substr(label, 6) AS INTEGER) % 7 <> 0 AND email IS NOT '';
SELECT 'backup dropped at contract', count(*) = 0 FROM sqlite_schema WHERE name LIKE 'zdm\_backup\_%' ESCAPE '\';
