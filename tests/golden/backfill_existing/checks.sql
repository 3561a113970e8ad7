-- Seed rows the old application never updated (n = 0, id <= 20000) hold
-- exactly what the backfills give; rows it wrote keep whatever it wrote.
SELECT 'untouched seed rows: a NULL status became active, others kept' AS check,
       count(*) = 0 AS ok FROM items
 WHERE id <= 20000 AND n = 0
   AND status IS DISTINCT FROM CASE WHEN id % 3 = 0 THEN 'active' ELSE 'kept' END;
SELECT 'untouched seed rows: name capitalised', count(*) = 0 FROM items
 WHERE id <= 20000 AND n = 0 AND name IS DISTINCT FROM 'Seed Item ' || id;
SELECT 'the old application renamed rows during the run', count(*) > 0 FROM items
 WHERE name ILIKE 'renamed %';
SELECT 'no backup table is left', to_regclass('public.zdm_backup_items_1') IS NULL
   AND to_regclass('public.zdm_backup_items_2') IS NULL;
