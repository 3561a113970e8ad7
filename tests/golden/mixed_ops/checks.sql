-- Data checks after the forward run: each SELECT returns one row (check, ok).
SELECT 'every account with an @ has its domain' AS check, count(*) = 0 AS ok
  FROM accounts WHERE owner_email LIKE '%@%' AND email_domain IS DISTINCT FROM split_part(owner_email, '@', 2);
SELECT 'accounts without an @ are left alone', count(*) = 0
  FROM accounts WHERE owner_email NOT LIKE '%@%' AND email_domain IS NOT NULL;
SELECT 'old inserts got the new defaults', bool_and(NOT archived AND currency = 'EUR')
  FROM orders WHERE note LIKE 'old%';
