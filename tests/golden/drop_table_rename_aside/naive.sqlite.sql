ALTER TABLE audit_log RENAME TO zdm_dropped_audit_log;
