SELECT 'no helper CHECK constraint is left on users' AS check, count(*) = 0 AS ok
  FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c';
