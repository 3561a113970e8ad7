SELECT 'the audit rows are kept aside', count(*) = 2000 FROM zdm_dropped_audit_log;
