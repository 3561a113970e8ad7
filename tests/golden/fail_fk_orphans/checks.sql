SELECT 'the orphans are untouched' AS "check",
       (SELECT count(*) FROM orders WHERE account_id = 100000) = 40 AS ok
