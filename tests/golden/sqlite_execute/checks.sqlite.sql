SELECT 'every user has a name', count(*) = 0 FROM users WHERE name IS NULL;
SELECT 'the fix named the seeded users without one', count(*) = 2857 FROM users WHERE name = 'anonymous';
SELECT 'the index is partial, on lower(email)', count(*) = 1 FROM sqlite_schema
 WHERE name = 'idx_users_email_lower' AND sql LIKE '%lower(email)) WHERE name IS NOT NULL';
