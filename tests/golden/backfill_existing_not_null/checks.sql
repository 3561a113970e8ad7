SELECT 'untouched seed rows: NULL or empty status became active, others kept' AS check,
       count(*) = 0 AS ok FROM items
 WHERE id <= 20000 AND n = 0
   AND status IS DISTINCT FROM CASE WHEN id % 3 = 2 THEN 'kept' ELSE 'active' END;
SELECT 'rows the old application updated keep its value', count(*) = 0 FROM items
 WHERE n > 0 AND status <> 'touched';
SELECT 'no backup table is left', to_regclass('public.zdm_backup_items_1') IS NULL;
