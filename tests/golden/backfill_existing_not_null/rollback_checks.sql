-- After a partial run and rollback.sql (before contract): the seeded NULL and
-- empty statuses are back; the old application's writes stand.
SELECT 'seed rows the application never touched: status as seeded' AS check, count(*) = 0 AS ok
  FROM items
 WHERE id <= 20000 AND n = 0
   AND status IS DISTINCT FROM CASE WHEN id % 3 = 0 THEN NULL WHEN id % 3 = 1 THEN '' ELSE 'kept' END;
SELECT 'rows the application updated: its status', count(*) = 0 FROM items
 WHERE n > 0 AND status IS DISTINCT FROM 'touched';
SELECT 'rows the application inserted: its status', count(*) = 0 FROM items
 WHERE id > 20000 AND status IS DISTINCT FROM 'old';
