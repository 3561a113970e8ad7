SELECT 'the audit log is back with its seed rows' AS check, count(*) >= 2000 AS ok
  FROM audit_log WHERE action = 'signup';
