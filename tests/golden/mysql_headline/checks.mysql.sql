SELECT 'every email_normalized = lower(trim(email))' AS `check`,
       count(*) = 0 AS ok FROM users WHERE NOT (email_normalized <=> lower(trim(email)));
SELECT 'the old application changed emails during the run', count(*) > 0 FROM users WHERE email LIKE 'Upd%';
