SELECT 'the NULL names are untouched' AS "check",
       (SELECT count(*) FROM users WHERE name IS NULL) = 200 AS ok
