SELECT 'the duplicates are untouched' AS "check",
       (SELECT count(*) FROM (SELECT email FROM users GROUP BY email HAVING count(*) > 1) d) = 19 AS ok
