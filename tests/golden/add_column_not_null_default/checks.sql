SELECT 'score is 0 on every row' AS check, count(*) = 0 AS ok FROM users WHERE score IS DISTINCT FROM 0;
