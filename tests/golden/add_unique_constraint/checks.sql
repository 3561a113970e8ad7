SELECT 'no duplicate (tenant_id, email)' AS "check",
       NOT EXISTS (SELECT 1 FROM users GROUP BY tenant_id, email HAVING count(*) > 1) AS ok
