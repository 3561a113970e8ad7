SELECT 'orders accepts rows from the new application' AS check, count(*) > 0 AS ok FROM orders;
SELECT 'every order has its user', count(*) = 0 FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE u.id IS NULL;
