SELECT 'old rows and the old application''s rows read the default' AS check,
       count(*) = 0 AS ok FROM users WHERE plan IS DISTINCT FROM 'free';
