-- Every row scored: the batches over the primary key, and the sync trigger
-- (keyed by the primary key) for the rows the old application wrote.
SELECT 'every row scored', count(*) = 0 FROM events WHERE score IS NOT length(coalesce(payload, ''));
SELECT 'the old application inserted rows', count(*) > 0 FROM events WHERE region = 'old';
SELECT 'its updates found rows by key', count(*) > 0 FROM events WHERE n > 0 AND region LIKE 'r%';
-- Every seeded kind rewritten (the old application's own kinds win).
SELECT 'seeded kinds in lower case', count(*) = 0 FROM events WHERE region LIKE 'r%' AND kind IS NOT lower(kind);
SELECT 'no seeded row lost', count(*) = 50000 FROM events WHERE region LIKE 'r%';
SELECT 'still without rowid', (SELECT upper(sql) FROM sqlite_schema WHERE name = 'events') LIKE '%) WITHOUT ROWID';
SELECT 'no copy, backup or trigger left behind', count(*) = 0 FROM sqlite_schema
 WHERE name LIKE 'zdm\_copy\_%' ESCAPE '\' OR name LIKE 'zdm\_new\_%' ESCAPE '\'
    OR name LIKE 'zdm\_backup\_%' ESCAPE '\' OR name LIKE 'zdm\_sync\_%' ESCAPE '\';
