SELECT 'orders is a table again, purchases is gone' AS check,
       to_regclass('purchases') IS NULL AND (SELECT relkind FROM pg_class WHERE oid = 'orders'::regclass) = 'r' AS ok;
