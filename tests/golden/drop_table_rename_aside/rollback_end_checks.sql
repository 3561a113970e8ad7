SELECT 'the audit log is back with its seed rows and the old application''s' AS check,
       count(*) FILTER (WHERE user_id <= 20000) >= 2000 AND count(*) FILTER (WHERE user_id > 20000) > 0 AS ok
  FROM audit_log;
SELECT 'nothing is left aside', to_regclass('zdm_dropped_audit_log') IS NULL;
