SELECT 'the rows are kept aside' AS check, count(*) >= 2000 AS ok FROM zdm_dropped_audit_log;
