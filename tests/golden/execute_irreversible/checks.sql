SELECT 'no seed row is left without a plan' AS check, count(*) = 0 AS ok
  FROM users WHERE id <= 20000 AND plan IS NULL;
SELECT 'seed rows without a plan got basic', count(*) = 5000 FROM users WHERE id <= 20000 AND plan = 'basic';
