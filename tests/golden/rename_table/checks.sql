SELECT 'orders is gone, purchases is a table' AS check,
       to_regclass('orders') IS NULL AND (SELECT relkind FROM pg_class WHERE oid = 'purchases'::regclass) = 'r' AS ok;
SELECT 'rows the old application inserted through the view', count(*) > 0 FROM purchases WHERE customer LIKE 'old %';
SELECT 'rows the new application inserted', count(*) > 0 FROM purchases WHERE customer LIKE 'new %';
