SELECT 'both indexes are valid' AS check, count(*) = 2 AS ok
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relname IN ('accounts_tenant_handle', 'accounts_live_email') AND i.indisvalid AND i.indisunique;
