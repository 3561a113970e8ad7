-- After a partial run and rollback.sql (before contract), every value a
-- backfill wrote is back to what it was; the old application's own writes
-- (renames, inserted rows) stand, also where a backfill rewrote them.
SELECT 'seed rows: status as seeded' AS check, count(*) = 0 AS ok FROM items
 WHERE id <= 20000 AND status IS DISTINCT FROM CASE WHEN id % 3 = 0 THEN NULL ELSE 'kept' END;
SELECT 'seed rows the application never renamed: name as seeded', count(*) = 0 FROM items
 WHERE id <= 20000 AND n = 0 AND name IS DISTINCT FROM 'seed item ' || id;
SELECT 'seed rows the application renamed: its name, not capitalised', count(*) = 0 FROM items
 WHERE id <= 20000 AND n > 0 AND name IS DISTINCT FROM 'renamed ' || id;
SELECT 'rows the application inserted: as it wrote them', count(*) = 0 FROM items
 WHERE id > 20000 AND NOT (name LIKE 'old item %' AND (status IS NULL OR status = 'old'));
