ALTER TABLE users ALTER COLUMN plan SET DEFAULT 'trial';
ALTER TABLE users ALTER COLUMN name SET DEFAULT ('user since ' || statement_timestamp()::text);
