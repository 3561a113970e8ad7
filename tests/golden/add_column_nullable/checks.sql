SELECT 'nickname is NULL on every row' AS check, count(*) = 0 AS ok FROM users WHERE nickname IS NOT NULL;
