-- Data checks after the forward run: each SELECT returns one row (check, ok).
SELECT 'every email_normalized = lower(btrim(email))' AS check,
       count(*) = 0 AS ok
  FROM users WHERE email_normalized IS DISTINCT FROM lower(btrim(email));
SELECT 'the old application''s inserts are there', count(*) FILTER (WHERE name = 'old') > 0
  FROM users;
