SELECT 'rows the new application inserted got the new defaults' AS check,
       count(*) > 0 AND bool_and(plan = 'trial' AND name LIKE 'user since %') AS ok
  FROM users WHERE email LIKE 'new%';
SELECT 'seed rows keep their plan', count(*) = 0 FROM users WHERE id <= 20000 AND plan IS DISTINCT FROM 'free';
