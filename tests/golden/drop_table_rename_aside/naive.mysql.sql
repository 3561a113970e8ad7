RENAME TABLE audit_log TO zdm_dropped_audit_log;
